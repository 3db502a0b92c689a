"""V3/V4 generators: values a pact asks to be made anew for each answer (`RandomInt`, ...).

Each generator kind is one function in `GENERATORS`, as the rules are in `rules.py`. A
generated value is a compiled answer value (`Generated`, of the templating's `Value`
shape), drawn at render time from the request's random source (`randint`, `uuid`,
`now`, `fake` of the template context), so `--seed` makes it repeatable.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import rstr

from ..templating import Constant, DictValue, ListValue, Value
from . import dates
from .paths import PathExp

Make = Callable[[dict[str, Any], Mapping[str, Any], Any], Any]


class GeneratorError(ValueError):
    """A generator that cannot be read (its kind or its parameters)."""


def _random(context: Mapping[str, Any]) -> random.Random:
    """A Random drawn from the request's source (so a seed repeats it)."""
    return random.Random(context["randint"](0, 2**31))


def _random_int(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    return context["randint"](int(spec.get("min", 0)), int(spec.get("max", 2147483647)))


def _random_decimal(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    digits = max(2, int(spec.get("digits", 6)))
    whole = context["randint"](10 ** (digits - 1), 10**digits - 1)
    return whole / 10 ** context["randint"](1, digits - 1)


def _random_hex(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    source = _random(context)
    return "".join(source.choice("0123456789abcdef") for _ in range(int(spec.get("digits", 10))))


def _random_string(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    source = _random(context)
    letters = string.ascii_letters + string.digits
    return "".join(source.choice(letters) for _ in range(int(spec.get("size", 10))))


def _regex(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    return rstr.Rstr(_random(context)).xeger(spec["regex"])


def _uuid(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    value = str(context["uuid"]())
    form = spec.get("format", "lower-case-hyphenated")
    if form == "simple":
        return value.replace("-", "")
    if form == "upper-case-hyphenated":
        return value.upper()
    if form == "URN":
        return f"urn:uuid:{value}"
    return value


def _moment(kind: str) -> Make:
    def make(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
        pattern = spec.get("format")
        moment = datetime.now(timezone.utc)
        if pattern:
            _, directives = dates.compile_pattern(pattern)
            if directives is not None:
                return moment.strftime(directives)
        if kind == "date":
            return moment.strftime("%Y-%m-%d")
        if kind == "time":
            return moment.strftime("%H:%M:%S")
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"

    return make


def _boolean(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    return context["randint"](0, 1) == 1


_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def _provider_state(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    """`${name}` from the provider state's params (the mock knows them from the pact)."""
    params = spec.get("_params") or {}
    expression = str(spec.get("expression", ""))
    whole = _PLACEHOLDER.fullmatch(expression)
    if whole and whole.group(1) in params:
        return params[whole.group(1)]
    if not any(name in params for name in _PLACEHOLDER.findall(expression)):
        return example
    return _PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), expression)


def _mock_server_url(spec: dict[str, Any], context: Mapping[str, Any], example: Any) -> Any:
    """The example URL with the mock's own base put in front of what `regex` keeps."""
    request = context.get("request")
    base = getattr(getattr(request, "_request", None), "host_url", None)
    match = re.search(str(spec.get("regex", "")), str(spec.get("example", example)))
    if base is None or match is None or not match.groups():
        return spec.get("example", example)
    return base.rstrip("/") + match.group(1)


GENERATORS: dict[str, Make] = {
    "RandomInt": _random_int,
    "RandomDecimal": _random_decimal,
    "RandomHexadecimal": _random_hex,
    "RandomString": _random_string,
    "Regex": _regex,
    "Uuid": _uuid,
    "Date": _moment("date"),
    "Time": _moment("time"),
    "DateTime": _moment("timestamp"),
    "RandomBoolean": _boolean,
    "ProviderState": _provider_state,
    "MockServerURL": _mock_server_url,
}


@dataclass(frozen=True)
class Generated:
    """A value made anew at each answer by one generator (a templating `Value`)."""

    kind: str
    spec: dict[str, Any] = field(hash=False, compare=False)
    example: Any = None
    constant: bool = False

    def render(self, context: dict[str, Any]) -> Any:
        return GENERATORS[self.kind](self.spec, context, self.example)


def read_generator(raw: Any, params: Mapping[str, Any]) -> Generated:
    """One generator as written (`{"type": "RandomInt", "min": 1}`); `params`: the states'."""
    if not isinstance(raw, dict) or raw.get("type") not in GENERATORS:
        kind = raw.get("type") if isinstance(raw, dict) else raw
        known = ", ".join(sorted(GENERATORS))
        raise GeneratorError(f"unknown generator {kind!r} (known: {known})")
    spec = {k: v for k, v in raw.items() if k != "type"}
    if raw["type"] == "Regex":
        if not isinstance(spec.get("regex"), str):
            raise GeneratorError("a Regex generator needs 'regex', a string")
        try:
            re.compile(spec["regex"])
        except re.error as exc:
            raise GeneratorError(f"{spec['regex']!r} is not a regular expression: {exc}") from None
    if raw["type"] == "ProviderState":
        spec["_params"] = dict(params)
    return Generated(raw["type"], spec)


def generated_value(value: Any, generators: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
    """`value` (a JSON body) compiled, with generated values at the generators' paths."""
    if not generators:
        return Constant(value)
    compiled = [
        (PathExp.parse(path), read_generator(raw, params)) for path, raw in generators.items()
    ]
    return _build((), value, compiled)


def _build(path: tuple[str | int, ...], value: Any, compiled: list) -> Value:
    for expression, generator in compiled:
        if len(expression.tokens) == len(path) and expression.weight(path):
            return Generated(generator.kind, generator.spec, value)
    if isinstance(value, dict):
        pairs = tuple((key, _build((*path, key), item, compiled)) for key, item in value.items())
        if all(item.constant for _, item in pairs):
            return Constant(value)
        return DictValue(pairs)
    if isinstance(value, list):
        items = tuple(_build((*path, index), item, compiled) for index, item in enumerate(value))
        if all(item.constant for item in items):
            return Constant(value)
        return ListValue(items)
    return Constant(value)
