"""Server-sent events: the wire framing, and a `stream`'s events rendered one by one.

Framing follows the WHATWG HTML standard's event-stream format: `field: value` lines,
an empty line ending each event. Each event is rendered when its turn comes (a ticker's
`now()` is the time it is sent), after its delay.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from ..draws import RandomSource
from ..errors import TemplateRenderError
from ..pacing import Pause
from ..responses import delay_seconds
from ..spec.model import FOREVER, Event, EventStream

Part = bytes | Pause


def frame(
    *,
    event: str | None = None,
    data: Any = None,
    has_data: bool = False,
    id: str | None = None,  # noqa: A002 - the field's name in the format
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One event as sent: a string `data` as text (a line each), any other value as JSON."""
    lines = []
    if comment is not None:
        lines += [": " + line for line in comment.splitlines() or [""]]
    if event is not None:
        lines.append("event: " + event)
    if id is not None:
        lines.append("id: " + id)
    if retry is not None:
        lines.append(f"retry: {retry}")
    if has_data:
        text = data if isinstance(data, str) else json_text(data)
        lines += ["data: " + line for line in text.splitlines() or [""]]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def json_text(value: Any) -> str:
    """A JSON value on one line, as event data is sent."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def data_event(value: Any, event: str | None = None) -> bytes:
    """An event carrying one JSON value (what the LLM APIs send)."""
    return frame(event=event, data=value, has_data=True)


def event_parts(
    stream: EventStream, context: dict[str, Any], draws: RandomSource
) -> Iterator[Part]:
    """The stream's events, each after its delay; `repeat` more rounds (or forever).

    Templates also see `stream.index` (events sent before this one) and `stream.round`.
    """
    rounds = itertools.count() if stream.repeat == FOREVER else range(stream.repeat + 1)
    index = 0
    for round_ in rounds:
        for event in stream.events:
            seen = {**context, "stream": {"index": index, "round": round_}}
            # A pause before each event, 0 included: the server sends what came before
            # and serves others meanwhile.
            yield Pause(_delay(event, seen, draws))
            yield render_event(event, seen)
            index += 1


def _delay(event: Event, context: dict[str, Any], draws: RandomSource) -> float:
    if event.delay_value is None:
        return delay_seconds(event.delay, draws.random)
    rendered = _render(event, "delay_value", context)
    if isinstance(rendered, bool) or not isinstance(rendered, (int, float)) or rendered < 0:
        raise TemplateRenderError(f"{event.where}.delay", f"{rendered!r} is not milliseconds")
    return float(rendered) / 1000.0


def _render(event: Event, name: str, context: dict[str, Any]) -> Any:
    """One field's value; a failure names the field where it was written."""
    try:
        return getattr(event, name).render(context)
    except TemplateRenderError as exc:
        field = name.removesuffix("_value")  # a templated delay is written as `delay`
        raise TemplateRenderError(f"{event.where}.{field}", str(exc)) from None


def render_event(event: Event, context: dict[str, Any]) -> bytes:
    """One event's fields rendered and framed; a field that cannot be sent is an error."""
    fields: dict[str, Any] = {}
    for name in ("event", "id", "comment"):
        if getattr(event, name) is not None:
            text = str(_render(event, name, context))
            if name != "comment" and ("\n" in text or "\r" in text):
                raise TemplateRenderError(
                    f"{event.where}.{name}", f"{text!r} cannot be sent: it has a line break"
                )
            fields[name] = text
    if event.retry is not None:
        retry = _render(event, "retry", context)
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise TemplateRenderError(f"{event.where}.retry", f"{retry!r} is not milliseconds")
        fields["retry"] = retry
    if event.data is not None:
        fields["data"] = _render(event, "data", context)
        fields["has_data"] = True
    return frame(**fields)
