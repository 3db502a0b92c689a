"""OpenAI Chat Completions: `chat.completion`, or `chat.completion.chunk` events and `[DONE]`.

The shapes are those the official `openai` package reads (`ChatCompletion`,
`ChatCompletionChunk`): one `data:` line per chunk, no event names, usage in a last
chunk with no choices when the request sets `stream_options.include_usage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..events import data_event
from .turn import Call, Turn, tokens

INPUT_OF = ("messages",)
FINGERPRINT = "fp_mockserve"


def usage(turn: Turn) -> dict[str, Any]:
    return {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": turn.output_tokens,
        "total_tokens": turn.input_tokens + turn.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _call(call: Call) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def finish_reason(turn: Turn) -> str:
    return "tool_calls" if turn.calls else "stop"


def body(turn: Turn) -> dict[str, Any]:
    """The answer as one `chat.completion` object."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": turn.text,
        "refusal": None,
        "annotations": [],
    }
    if turn.calls:
        message["tool_calls"] = [_call(call) for call in turn.calls]
    return {
        "id": "chatcmpl-" + turn.id,
        "object": "chat.completion",
        "created": turn.created,
        "model": turn.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason(turn)}
        ],
        "usage": usage(turn),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def events(turn: Turn) -> Iterator[bytes | None]:
    """The chunks, each an event; None marks where a delta's delay goes."""
    options = turn.request.get("stream_options")
    with_usage = isinstance(options, dict) and options.get("include_usage") is True
    head: dict[str, Any] = {
        "id": "chatcmpl-" + turn.id,
        "object": "chat.completion.chunk",
        "created": turn.created,
        "model": turn.model,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        extra = {"usage": None} if with_usage else {}
        return data_event({**head, "choices": [choice], **extra})

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in tokens(turn.text or ""):
        yield None
        yield chunk({"content": piece})
    for index, call in enumerate(turn.calls):
        start = {"index": index, "id": call.id, "type": "function"}
        yield chunk({"tool_calls": [{**start, "function": {"name": call.name, "arguments": ""}}]})
        for piece in tokens(call.arguments):
            yield None
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, finish_reason(turn))
    if with_usage:
        yield data_event({**head, "choices": [], "usage": usage(turn)})
    yield b"data: [DONE]\n\n"
