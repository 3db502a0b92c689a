"""Answers sent over time, compiled: a `stream` of events, an `llm` answer, a paced body.

Every template in them is compiled here, once; mistakes are located where they were
written, as for any other part of a response. Sending them is `mockserve.streams`' job.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ..templating import compile_text
from .model import (
    FOREVER,
    Body,
    Delay,
    Event,
    EventStream,
    Fault,
    LlmAnswer,
    Pacing,
    ResponseTemplate,
    ToolCall,
)
from .source import SourceFile, format_path

if TYPE_CHECKING:
    from .answers import Answers

LLM_APIS = ("openai-chat", "openai-responses", "anthropic-messages")
LLM_ERRORS = ("rate_limit", "overloaded", "invalid_request", "server")
STREAM_KEYS = ("stream", "llm")  # bodies of their own
PACING_KEYS = ("chunks", "bytes_per_second")  # how any other body is sent
BYTES_PER_SECOND_PARTS = 20  # parts a second when a body is sent at `bytes_per_second`


class OverTime:
    """Compiles the parts of a response that are sent over time."""

    def __init__(self, answers: Answers):
        self.answers = answers
        self.build = answers.build

    def problem(self, source: SourceFile, at: tuple, message: str, *, key: bool = False) -> None:
        self.build.problem(source, at, message, key=key)

    # -- stream --------------------------------------------------------------------------

    def stream(self, source: SourceFile, at: tuple, raw: dict) -> EventStream | None:
        """`stream` (and `repeat`): each event's fields compiled; None when absent or broken."""
        if "repeat" in raw and "stream" not in raw:
            self.problem(source, at + ("repeat",), "'repeat' goes with 'stream'", key=True)
        if not isinstance(raw.get("stream"), list):
            return None
        count = len(self.build.problems)
        events = tuple(
            self.event(source, at + ("stream", index), item)
            for index, item in enumerate(raw["stream"])
        )
        repeat = raw.get("repeat", 0)
        if len(self.build.problems) != count:
            return None
        return EventStream(events, FOREVER if repeat == "forever" else int(repeat))

    def event(self, source: SourceFile, at: tuple, raw: Any) -> Event:
        if not isinstance(raw, dict):
            return Event()
        fields: dict[str, Any] = {}
        for name in ("event", "id", "comment"):
            if name in raw:
                text = str(raw[name])
                fields[name] = self.answers.compile_template(
                    source, at + (name,), compile_text, text
                )
        if "data" in raw:
            fields["data"] = self.answers.value(source, at + ("data",), raw["data"])
        if "retry" in raw:
            fields["retry"] = self.answers.value(source, at + ("retry",), raw["retry"])
        delay = raw.get("delay")
        if isinstance(delay, str):
            fields["delay_value"] = self.answers.value(source, at + ("delay",), delay)
        else:
            fields["delay"] = self.build.loader.delay(source, at + ("delay",), delay)
        return Event(**fields, where=format_path(at))

    # -- llm -----------------------------------------------------------------------------

    def llm(self, source: SourceFile, at: tuple, raw: dict) -> LlmAnswer | None:
        """`llm`: the API named, `text` and `tool_calls` compiled; None when absent or broken."""
        spec = raw.get("llm")
        if not isinstance(spec, dict) or spec.get("api") not in LLM_APIS:
            return None
        at = at + ("llm",)
        count = len(self.build.problems)
        text = None
        if isinstance(spec.get("text"), str):
            text = self.answers.compile_template(source, at + ("text",), compile_text, spec["text"])
        calls = []
        for index, call in enumerate(spec.get("tool_calls") or ()):
            if isinstance(call, dict) and isinstance(call.get("name"), str):
                calls.append(self.tool_call(source, at + ("tool_calls", index), call))
        if text is None and not calls and "text" not in spec:
            self.problem(source, at, "an llm answer needs 'text', 'tool_calls' or both")
        if len(self.build.problems) != count:
            return None
        return LlmAnswer(
            api=spec["api"],
            text=text,
            tool_calls=tuple(c for c in calls if c is not None),
            model=str(spec.get("model", "mock-model")),
            delay=self.build.loader.delay(source, at + ("delay",), spec.get("delay")),
            where=format_path(at),
        )

    def tool_call(self, source: SourceFile, at: tuple, raw: dict) -> ToolCall | None:
        name = self.answers.compile_template(source, at + ("name",), compile_text, raw["name"])
        arguments_raw = raw.get("arguments", {})
        if isinstance(arguments_raw, str) and "{{" not in arguments_raw:
            try:  # JSON text, as the providers send it
                arguments_raw = json.loads(arguments_raw)
            except ValueError:
                self.problem(source, at + ("arguments",), "arguments are not JSON text")
                return None
        arguments = self.answers.value(source, at + ("arguments",), arguments_raw)
        call_id = None
        if isinstance(raw.get("id"), str):
            call_id = self.answers.compile_template(source, at + ("id",), compile_text, raw["id"])
        if name is None or arguments is None:
            return None
        return ToolCall(name=name, arguments=arguments, id=call_id)

    # -- a body sent slowly --------------------------------------------------------------

    def pacing(self, source: SourceFile, at: tuple, raw: dict, kind: str | None) -> Pacing | None:
        """`chunks: {size, delay}` or `bytes_per_second: N`, for a body that is not a stream."""
        given = [key for key in PACING_KEYS if key in raw]
        if not given:
            return None
        if len(given) > 1:
            self.problem(
                source, at + (given[1],), "use 'chunks' or 'bytes_per_second', not both", key=True
            )
            return None
        if kind in STREAM_KEYS:
            message = f"'{given[0]}' paces a plain body; a {kind} is sent part by part already"
            self.problem(source, at + (given[0],), message, key=True)
            return None
        if "chunks" in raw:
            chunks = raw["chunks"]
            size = chunks.get("size") if isinstance(chunks, dict) else None
            if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                return None
            delay = self.build.loader.delay(source, at + ("chunks", "delay"), chunks.get("delay"))
            return Pacing(size=chunks["size"], delay=delay)
        rate = raw["bytes_per_second"]
        if not isinstance(rate, (int, float)) or rate <= 0:
            return None
        size = max(1, math.ceil(rate / BYTES_PER_SECOND_PARTS))
        seconds_ms = size / rate * 1000.0
        return Pacing(size=size, delay=Delay(seconds_ms, seconds_ms))

    # -- faults inside streams -----------------------------------------------------------

    def fault(
        self, source: SourceFile, at: tuple, raw: dict, llm: LlmAnswer | None
    ) -> Fault | None:
        """A fault that reaches inside a stream (`after`, `stall`) or an `llm_error`.

        None when the fault is an ordinary one (a response, or a kind sent at once).
        """
        rate = float(raw.get("rate", 0))
        kind = raw.get("kind")
        if "llm_error" in raw:
            return self.llm_error(source, at, raw, rate, llm)
        if "duration" in raw and kind != "stall":
            self.problem(source, at + ("duration",), "'duration' goes with kind: stall", key=True)
        if kind == "stall" and "duration" not in raw:
            self.problem(source, at + ("kind",), "a stall needs 'duration' (ms)")
        if "after" not in raw and kind != "stall":
            return None
        if kind not in ("disconnect", "malformed", "stall"):
            message = "'after' goes with kind: disconnect, malformed or stall"
            self.problem(source, at + ("after",), message, key=True)
            return None
        after = raw.get("after", 0)
        return Fault(
            rate,
            kind,
            after=after if isinstance(after, int) else 0,
            duration=float(raw.get("duration", 0) or 0),
        )

    def llm_error(
        self, source: SourceFile, at: tuple, raw: dict, rate: float, llm: LlmAnswer | None
    ) -> Fault | None:
        """`llm_error: KIND`: the provider's own error answer, in the route's `llm` API."""
        others = [key for key in raw if key not in ("rate", "llm_error")]
        if others:
            message = f"an llm_error is the provider's own answer; remove {others[0]!r}"
            self.problem(source, at + (others[0],), message, key=True)
            return None
        if raw["llm_error"] not in LLM_ERRORS:  # the format's schema says so
            return None
        if llm is None:
            message = "llm_error needs a route that answers with 'llm' (it names the API)"
            self.problem(source, at + ("llm_error",), message)
            return None
        where = format_path(at)
        answer = LlmAnswer(api=llm.api, error=str(raw["llm_error"]), where=where)
        # Status, headers and body are the provider's, made when it is sent.
        body = Body("llm", None, static=b"")
        return Fault(rate, None, ResponseTemplate(status=200, body=body, llm=answer, where=where))


def streamed_answer(templates: Any) -> LlmAnswer | None:
    """The first `llm` answer among a route's compiled responses (its faults' API)."""
    for template in templates:
        if template.llm is not None and template.llm.error is None:
            return template.llm
    return None
