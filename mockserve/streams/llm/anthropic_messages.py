"""Anthropic Messages: a `message`, or `message_start`, `content_block_*`, `message_delta`,
`message_stop` events, as the official `anthropic` package's `RawMessageStreamEvent`s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..events import data_event
from .turn import Turn, tokens

INPUT_OF = ("system", "messages")


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def stop_reason(turn: Turn) -> str:
    return "tool_use" if turn.calls else "end_turn"


def _message(turn: Turn, content: list, stop: str | None, output_tokens: int) -> dict[str, Any]:
    return {
        "id": "msg_" + turn.id,
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": _usage(turn.input_tokens, output_tokens),
    }


def _tool_use(turn: Turn, index: int, arguments: Any) -> dict[str, Any]:
    call = turn.calls[index]
    return {"type": "tool_use", "id": "toolu_" + call.id, "name": call.name, "input": arguments}


def body(turn: Turn) -> dict[str, Any]:
    """The answer as one `message` object."""
    content: list[dict[str, Any]] = []
    if turn.text is not None:
        content.append({"type": "text", "text": turn.text})
    for index, call in enumerate(turn.calls):
        content.append(_tool_use(turn, index, json.loads(call.arguments or "{}")))
    return _message(turn, content, stop_reason(turn), turn.output_tokens)


def events(turn: Turn) -> Iterator[bytes | None]:
    """The events; None marks where a delta's delay goes."""

    def event(kind: str, **fields: Any) -> bytes:
        return data_event({"type": kind, **fields}, event=kind)

    yield event("message_start", message=_message(turn, [], None, 1))
    block = 0
    if turn.text is not None:
        yield event("content_block_start", index=block, content_block={"type": "text", "text": ""})
        yield event("ping")
        for piece in tokens(turn.text):
            yield None
            delta = {"type": "text_delta", "text": piece}
            yield event("content_block_delta", index=block, delta=delta)
        yield event("content_block_stop", index=block)
        block += 1
    for index, call in enumerate(turn.calls):
        yield event("content_block_start", index=block, content_block=_tool_use(turn, index, {}))
        for piece in tokens(call.arguments):
            yield None
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield event("content_block_delta", index=block, delta=delta)
        yield event("content_block_stop", index=block)
        block += 1
    yield event(
        "message_delta",
        delta={"stop_reason": stop_reason(turn), "stop_sequence": None},
        usage={"output_tokens": turn.output_tokens},
    )
    yield event("message_stop")
