"""Why did this request not match? Rank the routes closest to an unmatched request."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from werkzeug.routing import BaseConverter

from .spec.rules import PATH_PARAM, parameter_parts

# A spec's converter names, as Werkzeug calls them (`{id}` is its "default").
_WERKZEUG_NAMES = {"": "default", "int": "int", "float": "float", "uuid": "uuid", "path": "path"}


def converter_patterns(converters: Mapping[str, type[BaseConverter]]) -> dict[str, str]:
    """The regex of each converter a spec path may name, read from the app's URL map."""
    return {
        ours: converters[theirs].regex
        for ours, theirs in _WERKZEUG_NAMES.items()
        if theirs in converters
    }


_CONVERTER_WORDS = {"int": "an integer", "float": "a decimal number", "uuid": "a UUID"}


@dataclass(frozen=True)
class Segment:
    text: str
    pattern: re.Pattern[str] | None  # None for a literal segment
    converter: str = ""

    def matches(self, value: str) -> bool:
        return value == self.text if self.pattern is None else bool(self.pattern.fullmatch(value))


def _segments(path: str, patterns: Mapping[str, str]) -> list[Segment]:
    key = tuple(sorted(patterns.items()))  # hashable: the cache's key
    return [_segment(text, key) for text in path.split("/")[1:]]


@lru_cache(maxsize=16384)
def _segment(text: str, patterns: tuple[tuple[str, str], ...]) -> Segment:
    """One path segment, compiled once: `{owner}` and `{repo}` recur in a thousand routes."""
    if "{" not in text:
        return Segment(text, None)
    regexes = dict(patterns)
    pattern, last, converter = "", 0, ""
    for match in PATH_PARAM.finditer(text):
        converter = parameter_parts(match)[1]
        pattern += re.escape(text[last : match.start()]) + regexes.get(converter, "[^/]+")
        last = match.end()
    pattern += re.escape(text[last:])
    return Segment(text, re.compile(pattern), converter)


@dataclass(frozen=True)
class RouteShape:
    """A route's path, split once at load for cheap comparisons."""

    name: str
    methods: tuple[str, ...]
    path: str
    segments: tuple[Segment, ...]

    @classmethod
    def of(
        cls, name: str, methods: tuple[str, ...], path: str, patterns: Mapping[str, str]
    ) -> RouteShape:
        return cls(name, methods, path, tuple(_segments(path, patterns)))


@dataclass(frozen=True)
class NearMiss:
    route: str
    method: str
    path: str
    why: str
    score: float

    def as_json(self) -> dict[str, str]:
        return {"route": self.route, "method": self.method, "path": self.path, "why": self.why}


def _compare(shape: RouteShape, method: str, parts: list[str]) -> tuple[float, str]:
    reasons: list[str] = []
    score = 0.0
    segments = shape.segments
    tail = segments[-1].converter == "path" if segments else False
    for index, segment in enumerate(segments):
        if index >= len(parts):
            break
        value = "/".join(parts[index:]) if tail and index == len(segments) - 1 else parts[index]
        if segment.matches(value):
            score += 1.0 if segment.pattern is None else 0.75
            continue
        if segment.pattern is None:
            score += 0.5 * difflib.SequenceMatcher(None, value, segment.text).ratio()
            reasons.append(f"segment {index + 1} is {value!r}, the route has {segment.text!r}")
        else:
            score += 0.4
            word = _CONVERTER_WORDS.get(segment.converter, "a value")
            reasons.append(f"{value!r} is not {word} for {segment.text}")
    if len(parts) != len(segments) and not (tail and len(parts) > len(segments)):
        if parts[len(segments) :] == [""]:
            reasons.append("the request path ends with '/', the route's does not")
        else:
            count = f"{len(parts)} segment" + ("s" if len(parts) != 1 else "")
            reasons.append(f"the request path has {count}, the route has {len(segments)}")
    longest = max(len(parts), len(segments), 1)
    score = score / longest
    # HEAD follows GET, and OPTIONS is answered on every path a route has.
    implied = method == "OPTIONS" or (method == "HEAD" and "GET" in shape.methods)
    if method not in shape.methods and not implied:
        reasons.append(f"the route takes {', '.join(shape.methods)}, not {method}")
        score -= 0.1
    return score, "; ".join(reasons) or "matches"


def near_misses(shapes: list[RouteShape], method: str, path: str, limit: int = 3) -> list[NearMiss]:
    """The `limit` routes closest to `method path`, closest first, each with why it missed."""
    parts = path.split("/")[1:]
    ranked = []
    for shape in shapes:
        score, why = _compare(shape, method, parts)
        ranked.append(NearMiss(shape.name, ",".join(shape.methods), shape.path, why, score))
    ranked.sort(key=lambda miss: -miss.score)
    return ranked[:limit]
