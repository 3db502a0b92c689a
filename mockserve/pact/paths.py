"""Pact's path expressions (`$.items[*].id`, `$['a b']`): which values of a body a rule
or a generator names, and how well (the most specific expression wins)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class RuleError(ValueError):
    """A rule (or a path) that cannot be read: why, and where inside `matchingRules`."""

    def __init__(self, message: str, where: tuple[Any, ...] = ()):
        super().__init__(message)
        self.message = message
        self.where = where

    def inside(self, *tokens: Any) -> RuleError:
        return RuleError(self.message, (*tokens, *self.where))


_TOKEN = re.compile(r"\.(\*|[^.\[\]]+)|\[(\*|\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
STAR, INDEX_STAR = "*", "[*]"


@dataclass(frozen=True)
class PathExp:
    """`$.items[*].id` as tokens: a field name, an index (int), `*` or `[*]`."""

    source: str
    tokens: tuple[str | int, ...]

    @classmethod
    def parse(cls, source: str) -> PathExp:
        text = source.strip()
        if not text.startswith("$"):
            # V3/V4 allow a bare name for a top-level field (`name`, not `$.name`).
            text = "$." + text if text else "$"
        tokens: list[str | int] = []
        position = 1
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise RuleError(f"{source!r} is not a path expression (at {text[position:]!r})")
            name, index, quoted, double = match.groups()
            if name is not None:
                tokens.append(name)
            elif index is not None:
                tokens.append(INDEX_STAR if index == "*" else int(index))
            else:
                tokens.append(quoted if quoted is not None else double)
            position = match.end()
        return cls(source, tuple(tokens))

    def weight(self, path: tuple[str | int, ...]) -> int:
        """How well this expression names `path` (0: not at all); exact parts weigh more."""
        if len(path) < len(self.tokens):
            return 0
        weight = 2  # the root
        for token, part in zip(self.tokens, path[: len(self.tokens)], strict=True):
            if token == STAR:
                weight *= 1
            elif token == INDEX_STAR:
                if not _is_index(part):
                    return 0
            elif isinstance(token, int):
                if not (_is_index(part) and int(part) == token):
                    return 0
                weight *= 2
            elif str(part) != token:
                return 0
            else:
                weight *= 2
        return weight


def _is_index(part: str | int) -> bool:
    return isinstance(part, int) or (isinstance(part, str) and part.isdigit())
