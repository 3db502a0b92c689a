"""OpenAI Responses: a `response` object, or `response.created` ... `response.completed`.

Each streamed event names its type twice (the `event:` line and `type`) and carries a
`sequence_number`, as the official `openai` package's `ResponseStreamEvent`s do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..events import data_event
from .turn import Call, Turn, tokens

INPUT_OF = ("input", "instructions")


def usage(turn: Turn) -> dict[str, Any]:
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": turn.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }


def _message(turn: Turn, status: str, text: str | None) -> dict[str, Any]:
    content = [] if text is None else [_text_part(text)]
    return {
        "id": "msg_" + turn.id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _function_call(call: Call, status: str, arguments: str) -> dict[str, Any]:
    return {
        "id": "fc_" + call.id,
        "type": "function_call",
        "status": status,
        "call_id": "call_" + call.id,
        "name": call.name,
        "arguments": arguments,
    }


def _output(turn: Turn) -> list[dict[str, Any]]:
    items = [] if turn.text is None else [_message(turn, "completed", turn.text)]
    return items + [_function_call(call, "completed", call.arguments) for call in turn.calls]


def _response(turn: Turn, status: str, output: list, with_usage: bool) -> dict[str, Any]:
    request = turn.request
    return {
        "id": "resp_" + turn.id,
        "object": "response",
        "created_at": turn.created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "metadata": request.get("metadata") or {},
        "model": turn.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": request.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": request.get("tools") or [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage(turn) if with_usage else None,
        "user": None,
    }


def body(turn: Turn) -> dict[str, Any]:
    """The answer as one `response` object."""
    return _response(turn, "completed", _output(turn), True)


def events(turn: Turn) -> Iterator[bytes | None]:
    """The events, each with its `sequence_number`; None marks where a delta's delay goes."""
    number = 0

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal number
        sent = data_event({"type": kind, "sequence_number": number, **fields}, event=kind)
        number += 1
        return sent

    yield event("response.created", response=_response(turn, "in_progress", [], False))
    yield event("response.in_progress", response=_response(turn, "in_progress", [], False))
    index = 0
    if turn.text is not None:
        item = "msg_" + turn.id
        where = {"item_id": item, "output_index": index, "content_index": 0}
        yield event(
            "response.output_item.added",
            output_index=index,
            item=_message(turn, "in_progress", None),
        )
        yield event("response.content_part.added", **where, part=_text_part(""))
        for piece in tokens(turn.text):
            yield None
            yield event("response.output_text.delta", **where, delta=piece, logprobs=[])
        yield event("response.output_text.done", **where, text=turn.text, logprobs=[])
        yield event("response.content_part.done", **where, part=_text_part(turn.text))
        yield event(
            "response.output_item.done",
            output_index=index,
            item=_message(turn, "completed", turn.text),
        )
        index += 1
    for call in turn.calls:
        item = "fc_" + call.id
        yield event(
            "response.output_item.added",
            output_index=index,
            item=_function_call(call, "in_progress", ""),
        )
        for piece in tokens(call.arguments):
            yield None
            yield event(
                "response.function_call_arguments.delta",
                item_id=item,
                output_index=index,
                delta=piece,
            )
        yield event(
            "response.function_call_arguments.done",
            item_id=item,
            output_index=index,
            name=call.name,
            arguments=call.arguments,
        )
        yield event(
            "response.output_item.done",
            output_index=index,
            item=_function_call(call, "completed", call.arguments),
        )
        index += 1
    yield event("response.completed", response=body(turn))
