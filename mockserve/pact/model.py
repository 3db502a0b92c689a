"""A pact as frozen data: interactions, their requests and responses, rules and generators."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..media import media_type
from .rules import MatchingRules

MISSING, NULL, EMPTY, PRESENT = "missing", "null", "empty", "present"
NOT_JSON = object()  # a body that is not JSON (or could not be parsed as JSON)


def is_json_type(content_type: str | None) -> bool:
    """`application/json`, `application/problem+json`, `text/json`, ... (parameters aside)."""
    main = media_type(content_type)
    return main.endswith("/json") or main.endswith("+json")


def header_value(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """A header's values (names compared without case), joined as HTTP joins repeats."""
    wanted = name.lower()
    values = [value for key, value in headers if key.lower() == wanted]
    return ", ".join(values) if values else None


@dataclass(frozen=True)
class Body:
    """A body as Pact sees it: missing, null, empty, or present bytes (with their JSON)."""

    state: str = MISSING
    raw: bytes = b""
    content_type: str | None = None
    value: Any = NOT_JSON  # the parsed JSON, when it is JSON

    @property
    def is_json(self) -> bool:
        return self.value is not NOT_JSON

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    @classmethod
    def of_json(cls, value: Any, content_type: str | None = "application/json") -> Body:
        raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(PRESENT, raw, content_type, value)

    @classmethod
    def of_bytes(cls, raw: bytes, content_type: str | None, *, json_expected: bool) -> Body:
        """A body received over HTTP: parsed as JSON when its type (or the pact's) says so."""
        if not raw:
            return cls(EMPTY, b"", content_type)
        value: Any = NOT_JSON
        if is_json_type(content_type) or json_expected:
            try:
                value = json.loads(raw)
            except ValueError:
                value = NOT_JSON
        return cls(PRESENT, raw, content_type, value)


@dataclass(frozen=True)
class Request:
    """An interaction's request (or a request received, with no rules)."""

    method: str = "GET"
    path: str = "/"
    query: dict[str, tuple[str, ...]] | None = None  # None: the pact says nothing of it
    # The query as written (V1 compares whole query strings, percent-decoded)
    query_text: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Body = Body()
    rules: MatchingRules = MatchingRules()
    generators: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


@dataclass(frozen=True)
class Response:
    """An interaction's response (or a response received, with no rules)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: Body = Body()
    rules: MatchingRules = MatchingRules()
    generators: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


@dataclass(frozen=True)
class ProviderState:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Interaction:
    """One HTTP interaction: what the consumer sends and what the provider answers."""

    description: str
    request: Request
    response: Response
    states: tuple[ProviderState, ...] = ()
    where: str = ""  # its JSON pointer in the pact file, e.g. /interactions/2

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(state.name for state in self.states)


@dataclass(frozen=True)
class Pact:
    """A whole pact file: who the consumer and the provider are, and their interactions."""

    source: str
    consumer: str
    provider: str
    version: str  # the specification version, "1.0.0" to "4.0"
    interactions: tuple[Interaction, ...]
    warnings: tuple[str, ...] = ()
