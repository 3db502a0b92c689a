"""`when`s that pick by one value: compiled as their parts, chosen among in one lookup.

A route that answers for many operations (an OpenAPI document's `/#Action=X` keys: 600
of them at ec2's `/`) has a `when` per answer of the form `KEY == "literal"`, often with
`and (REST)`. Compiled whole, each is a Jinja compilation of its own and every request
tries them in turn. Compiled as parts, KEY is compiled once for all of them, the RESTs
repeat (and are cached), and a `Selection` renders KEY once per request and looks its
value up: only the answers it names, and those without such a `when`, are tried, in
their declared order, so the first-match choice is the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..templating import Expression, TemplateSyntaxProblem, compile_expression

# KEY is a name, a dotted name or a call with string arguments (`param("Action")`,
# `headers.get("X-Amz-Target")`, `query.kind`): nothing that binds looser than `==`.
_STRING = r'"(?:[^"\\]|\\.)*"'
_KEY = rf"[A-Za-z_][\w.]*(?:\((?:\s*{_STRING}\s*,?)*\))?"
_PICK = re.compile(rf"^(?P<key>{_KEY}) == (?P<literal>{_STRING})(?: and \((?P<rest>.*)\))?$", re.S)
SMALLEST = 8  # fewer answers than this are tried in turn: a lookup would gain nothing


@dataclass(frozen=True)
class Pick:
    """A compiled `when` of the form `KEY == "literal"` or `KEY == "literal" and (REST)`."""

    source: str
    key: Expression
    literal: str
    rest: Expression | None = None

    def render(self, context: dict[str, Any]) -> Any:
        """What the whole `when` renders to, as far as truth goes."""
        if self.key.render(context) != self.literal:
            return False
        return True if self.rest is None else self.rest.render(context)


def compile_when(source: str) -> Expression | Pick:
    """A `when`, as parts when it picks by one value (else compiled whole)."""
    found = _PICK.match(source.strip())
    if found is not None:
        try:
            literal = json.loads(found["literal"])
            rest = found["rest"]
            return Pick(
                source,
                compile_expression(found["key"]),
                literal,
                compile_expression(rest) if rest is not None else None,
            )
        except (ValueError, TemplateSyntaxProblem):
            pass  # REST is no expression alone (`a) or (b`): the whole, as written
    return compile_expression(source)


@dataclass(frozen=True)
class Selection:
    """The answers worth trying for a request, by the value of the one KEY they pick by."""

    key: Expression
    by_literal: dict[str, tuple[int, ...]]  # value -> the answers to try, in order
    others: tuple[int, ...]  # answers without a `when` on KEY: tried for every value

    def candidates(self, context: dict[str, Any]) -> tuple[int, ...]:
        """Indices of the answers to try, in declared order (renders KEY once)."""
        value = self.key.render(context)
        if not isinstance(value, str):  # `None == "x"`, `1 == "1"`: no pick holds
            return self.others
        return self.by_literal.get(value, self.others)


def selection(whens: list[Any]) -> Selection | None:
    """The lookup for a route's answers' `when`s (None in the list: no `when`), or None
    when too few pick by one KEY."""
    keys: dict[str, int] = {}
    for when in whens:
        if isinstance(when, Pick):
            keys[when.key.source] = keys.get(when.key.source, 0) + 1
    if not keys:
        return None
    key_source, count = max(keys.items(), key=lambda item: item[1])
    if count < SMALLEST:
        return None
    picked: dict[str, list[int]] = {}
    others: list[int] = []
    key: Expression | None = None
    for index, when in enumerate(whens):
        if isinstance(when, Pick) and when.key.source == key_source:
            picked.setdefault(when.literal, []).append(index)
            key = when.key
        else:
            others.append(index)
    assert key is not None
    by_literal = {value: tuple(sorted([*found, *others])) for value, found in picked.items()}
    return Selection(key, by_literal, tuple(others))
