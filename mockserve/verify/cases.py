"""The requests `verify` sends: a route's `examples`, or one made from its contract."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..openapi.generate import CannotGenerate, Generator
from ..spec.model import Example, Route, Spec
from ..spec.rules import PATH_PARAM, parameter_parts

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SAMPLE = {"int": "1", "float": "1.5", "uuid": "00000000-0000-4000-8000-000000000001"}
SHOWN = 3  # differences listed per case


class Unreachable(Exception):
    """The backend could not be reached at all (exit 3)."""


@dataclass
class Case:
    """One request sent to the spec and to the backend."""

    route: Route
    name: str  # e.g. get-user[existing]
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Outcome:
    case: Case
    differences: list[str] = field(default_factory=list)
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and not self.differences

    def line(self) -> str:
        if self.skipped is not None:
            return f"SKIP {self.case.name} ({self.skipped})"
        if not self.differences:
            return f"PASS {self.case.name}"
        shown = self.differences[:SHOWN]
        more = len(self.differences) - len(shown)
        return (
            f"FAIL {self.case.name} "
            + "; ".join(shown)
            + (f"; and {more} more" if more > 0 else "")
        )


# -- cases -----------------------------------------------------------------------------


def cases(spec: Spec, routes: tuple[str, ...] = ()) -> list[Case]:
    """The cases of the spec's routes (of `routes` only, when named), examples first."""
    generator = Generator(spec.schemas, spec.settings.seed)
    found = []
    for route in spec.routes:
        if routes and route.name not in routes:
            continue
        if route.examples:
            found += [_from_example(route, example) for example in route.examples]
        else:
            found += [_generated(route, method, generator) for method in route.methods]
    return found


def _from_example(route: Route, example: Example) -> Case:
    headers = dict(example.headers)
    body = None
    if example.has_body:
        if isinstance(example.body, str) and any(k.lower() == "content-type" for k in headers):
            body = example.body.encode("utf-8")
        else:
            body = json.dumps(example.body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
    query = {
        k: _text(v) if not isinstance(v, list) else [_text(i) for i in v]
        for k, v in example.query.items()
    }
    return Case(
        route,
        f"{route.name}[{example.name}]",
        route.methods[0],
        example.path,
        query,
        headers,
        body,
    )


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _generated(route: Route, method: str, generator: Generator) -> Case:
    """A request the route's contract accepts: path values, required query and headers, body."""
    contract = route.contract
    values: dict[str, Any] = {}
    if contract.path is not None:
        schema = contract.path.validator.schema
        values = _value(generator, schema, minimal=False) or {}
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        for name, prop in properties.items():  # 1 when it will do: /users/1, not /users/8311
            if generator.valid(prop, 1):
                values[name] = 1

    def fill(match: re.Match[str]) -> str:
        name, converter = parameter_parts(match)
        if name in values:
            return str(values[name])
        return _SAMPLE.get(converter, "1")

    path = PATH_PARAM.sub(fill, route.path)
    query: dict[str, Any] = {}
    headers: dict[str, Any] = {}
    if contract.query is not None:
        query = _value(generator, contract.query.validator.schema, minimal=True) or {}
    if contract.headers is not None:
        headers = _value(generator, contract.headers.validator.schema, minimal=True) or {}
    body = None
    headers = {str(k): _text(v) for k, v in headers.items()}
    if contract.body is not None and contract.body.required:
        schema = contract.body.validator.schema if contract.body.validator else {}
        value = _value(generator, schema, minimal=False)
        content_type = contract.body.content_type
        if "form-urlencoded" in content_type and isinstance(value, dict):
            body = urlencode({k: _text(v) for k, v in value.items()}).encode()
        elif "json" in content_type or content_type in ("*/*", ""):
            body = json.dumps(value).encode("utf-8")
            content_type = "application/json" if content_type in ("*/*", "") else content_type
        else:
            body = (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")
        headers["Content-Type"] = content_type
    suffix = f"generated {method}" if len(route.methods) > 1 else "generated"
    query = {str(k): v if isinstance(v, list) else _text(v) for k, v in query.items()}
    return Case(route, f"{route.name}[{suffix}]", method, path, query, headers, body)


def _value(generator: Generator, schema: Any, *, minimal: bool) -> Any:
    generator.minimal = minimal
    try:
        value = generator.value(schema)
        if not generator.valid(schema, value) and not minimal:
            generator.minimal = True
            value = generator.value(schema)
        return value
    except (CannotGenerate, RecursionError):
        return None
    finally:
        generator.minimal = False
