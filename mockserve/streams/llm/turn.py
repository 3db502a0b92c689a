"""One LLM answer, rendered: the text and tool calls, split into deltas and counted.

One deterministic rule splits and counts, for every API: a token is a run of
non-space characters with the spaces before it (`"Hello, world!"` is `"Hello,"` and
`" world!"`). So a seeded run streams the same deltas, and usage is the same every time.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from ...draws import RandomSource
from ...errors import TemplateRenderError
from ...spec.model import LlmAnswer

_TOKEN = re.compile(r"\s*\S+|\s+")
_NOT_COUNTED = ("role", "type", "id", "tool_call_id", "model")


def tokens(text: str) -> list[str]:
    """The text's tokens, in order; joined they give the text back."""
    return _TOKEN.findall(text)


def count_tokens(value: Any) -> int:
    """Tokens in every text of a request's messages (roles and ids aside)."""
    if isinstance(value, str):
        return len(tokens(value))
    if isinstance(value, dict):
        return sum(count_tokens(v) for k, v in value.items() if k not in _NOT_COUNTED)
    if isinstance(value, list):
        return sum(count_tokens(v) for v in value)
    return 0


@dataclass(frozen=True)
class Call:
    """A tool call as sent: its id, name and arguments as JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Turn:
    """What one request gets back: everything rendered before the first byte is sent."""

    text: str | None
    calls: tuple[Call, ...]
    model: str
    request: dict[str, Any]
    created: int
    id: str  # the provider's own prefix is added by each API
    input_tokens: int

    @property
    def streamed(self) -> bool:
        return self.request.get("stream") is True

    @property
    def output_tokens(self) -> int:
        counted = len(tokens(self.text or ""))
        return counted + sum(len(tokens(c.arguments)) + 1 for c in self.calls)


def render_turn(
    answer: LlmAnswer, context: dict[str, Any], draws: RandomSource, input_of: tuple[str, ...]
) -> Turn:
    """Render the answer's templates for this request; `input_of`: the request's input keys."""
    body = context.get("body")
    request = body if isinstance(body, dict) else {}
    text = None if answer.text is None else str(answer.text.render(context))
    calls = []
    for index, call in enumerate(answer.tool_calls):
        arguments = call.arguments.render(context)
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        call_id = str(call.id.render(context)) if call.id is not None else _id(draws)
        name = str(call.name.render(context))
        if not name:
            raise TemplateRenderError(f"{answer.where}.tool_calls[{index}].name", "is empty")
        calls.append(Call(call_id, name, arguments))
    model = request.get("model")
    return Turn(
        text=text,
        calls=tuple(calls),
        model=model if isinstance(model, str) and model else answer.model,
        request=request,
        created=int(time.time()),
        id=_id(draws),
        input_tokens=sum(count_tokens(request.get(key)) for key in input_of),
    )


def _id(draws: RandomSource) -> str:
    """An id from the request's own draws: the same ones in a seeded run."""
    return draws.uuid().replace("-", "")[:24]
