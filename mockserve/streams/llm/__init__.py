"""LLM answers in the exact wire format of a provider's API (`response.llm`).

Each API is one module with `INPUT_OF` (the request keys its input tokens are counted
in), `body(turn)` (the answer as one JSON object) and `events(turn)` (the streamed
events, None where a delta's delay goes). The request's `"stream": true` picks which.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

from werkzeug.wrappers import Response

from ...draws import RandomSource
from ...pacing import Pause
from ...responses import delay_seconds, dump_json
from ...spec.model import LlmAnswer
from . import anthropic_messages, openai_chat, openai_responses
from .errors import error_answer
from .turn import Turn, render_turn

APIS: dict[str, ModuleType] = {
    "openai-chat": openai_chat,
    "openai-responses": openai_responses,
    "anthropic-messages": anthropic_messages,
}
STREAM_TYPE = "text/event-stream; charset=utf-8"


def llm_answer(
    answer: LlmAnswer, response: Response, context: dict[str, Any], draws: RandomSource
) -> Iterator[bytes | Pause] | None:
    """Fill `response` with the answer; the events to stream, or None when it is sent whole."""
    api = APIS[answer.api]
    if answer.error is not None:
        request_id = draws.uuid().replace("-", "")[:24]
        status, body, headers = error_answer(answer.api, answer.error, request_id)
        _whole(response, body, status)
        response.headers.update(headers)
        return None
    turn = render_turn(answer, context, draws, api.INPUT_OF)
    if not turn.streamed:
        _whole(response, api.body(turn), response.status_code)
        return None
    response.headers["Content-Type"] = STREAM_TYPE
    response.headers["Cache-Control"] = "no-cache"
    return _paced(api.events(turn), answer, draws)


def _whole(response: Response, body: Any, status: int) -> None:
    response.set_data(dump_json(body))
    response.status_code = status
    response.headers["Content-Type"] = "application/json"


def _paced(events: Iterator[bytes | None], answer: LlmAnswer, draws: RandomSource) -> Iterator[Any]:
    """The events, with the answer's `delay` before each delta (drawn as it comes)."""
    for event in events:
        if event is not None:
            yield event
        else:  # 0 too: what came before is sent, and the server serves others meanwhile
            yield Pause(delay_seconds(answer.delay, draws.random))


__all__ = ["APIS", "Turn", "llm_answer"]
