"""Answers sent over time: server-sent events, LLM answers, slow bodies (`pacing` parts).

The pipeline renders a response as usual (status, headers, state); `send_over_time` then
gives it a body that is sent part by part (`Sending`), and the exchange is journaled
when that body ends. The serving backend waits out the `Pause` parts between them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Response

from ..draws import RandomSource
from ..exchange import Exchange, StreamProgress
from ..pacing import Pause
from ..responses import delay_seconds
from ..spec.model import Fault, Pacing, ResponseTemplate
from .events import event_parts
from .llm import llm_answer
from .sending import Sending

STREAM_TYPE = "text/event-stream"


def send_over_time(
    response: Response,
    template: ResponseTemplate,
    context: dict[str, Any],
    exchange: Exchange,
    draws: RandomSource,
    fault: Fault | None = None,
) -> Response:
    """Give `response` the template's body sent over time; `fault` fires inside it."""
    events = True
    parts: Iterator[Any] | None
    if template.llm is not None:
        parts = llm_answer(template.llm, response, context, draws)
        if parts is None:  # asked for whole (no "stream": true), or a provider's error
            return response
    elif template.stream is not None:
        response.headers["Content-Type"] = STREAM_TYPE
        response.headers["Cache-Control"] = "no-cache"
        parts = event_parts(template.stream, context, draws)
    else:
        assert template.pacing is not None
        parts = paced_body(response.get_data(), template.pacing, draws)
        events = False
    progress = StreamProgress()
    # Its `Pause` parts are for the backend (werkzeug passes what is not text through).
    response.response = Sending(parts, exchange, progress, fault=fault, events=events)  # type: ignore[assignment]
    response.headers.pop("Content-Length", None)  # sent as it comes, in chunks
    exchange.stream = progress  # only now: the journal waits for this body's end
    return response


def paced_body(body: bytes, pacing: Pacing, draws: RandomSource) -> Iterator[bytes | Pause]:
    """`body` in parts of `pacing.size` bytes, with the pacing's delay between two."""
    for start in range(0, len(body), pacing.size):
        if start:
            yield Pause(delay_seconds(pacing.delay, draws.random))
        yield body[start : start + pacing.size]


__all__ = ["send_over_time"]
