"""Pact matching rules: where they apply (path expressions) and what each one checks.

Each rule is one function in `RULES`, looked up by its `match` name, as jsonschema keeps
one function per keyword: it takes the rule, the expected and the actual value and
returns why they do not match (None when they do). Rules of every specification version
are read into one shape: the V3/V4 categories (`body`, `header`, `query`, `path`,
`status`), each a rule list with its `combine` (AND/OR); V2's `$.body.x` keys land in
the same place, their path expressions (`paths.py`) parsed once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import dates
from .paths import PathExp, RuleError

# -- rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One matcher: its name (`type`, `regex`, ...) and what it was given."""

    match: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class RuleList:
    rules: tuple[Rule, ...]
    combine: str = "AND"
    cascaded: bool = False  # inherited from a parent path: sizes and values rules do not apply


@dataclass(frozen=True)
class MatchingRules:
    """An HTTP part's rules by category; header names are kept lower-case."""

    body: tuple[tuple[PathExp, RuleList], ...] = ()
    header: dict[str, RuleList] = field(default_factory=dict, hash=False, compare=False)
    query: dict[str, RuleList] = field(default_factory=dict, hash=False, compare=False)
    path: RuleList | None = None
    status: RuleList | None = None
    method: RuleList | None = None
    # for_body's answers by path: the same paths recur in every request of a pact
    _chosen: dict[tuple[str | int, ...], RuleList | None] = field(
        default_factory=dict, hash=False, compare=False, repr=False
    )

    def for_body(self, path: tuple[str | int, ...]) -> RuleList | None:
        """The rules for `path`: the best-weighted expression, the longest on a tie."""
        if not self.body:
            return None
        try:
            return self._chosen[path]
        except KeyError:
            pass
        chosen = self._choose(path)
        if len(self._chosen) >= _REMEMBERED:  # bodies sent may have any keys: bounded
            self._chosen.clear()
        self._chosen[path] = chosen
        return chosen

    def _choose(self, path: tuple[str | int, ...]) -> RuleList | None:
        best: tuple[int, int] = (0, 0)
        chosen = None
        for expression, rules in self.body:
            weight = expression.weight(path)
            if weight and (weight, len(expression.tokens)) > best:
                best = (weight, len(expression.tokens))
                chosen = (expression, rules)
        if chosen is None:
            return None
        expression, rules = chosen
        if len(expression.tokens) < len(path):
            return RuleList(rules.rules, rules.combine, cascaded=True)
        return rules


_REMEMBERED = 4096


def read_rule(raw: Any) -> Rule:
    """One matcher as written in a pact (`{"match": "type", "min": 1}`, V2's `{"regex": ..}`)."""
    if not isinstance(raw, dict):
        raise RuleError(f"a matcher is an object, not {json.dumps(raw)}")
    name = raw.get("match")
    if name is None:  # V2: the kind is implied by what is given
        name = "regex" if "regex" in raw else "type"
    if not isinstance(name, str):
        raise RuleError(f"'match' is a string, not {json.dumps(name)}")
    name = {"min": "type", "max": "type", "real": "decimal"}.get(name, name)
    if name not in RULES:
        raise RuleError(f"unknown matcher {name!r} (known: {', '.join(sorted(RULES))})")
    params = {k: v for k, v in raw.items() if k != "match"}
    if name == "regex":
        if not isinstance(params.get("regex"), str):
            raise RuleError("a regex matcher needs 'regex', a string")
        try:
            params["compiled"] = re.compile(params["regex"])
        except re.error as exc:
            raise RuleError(f"{params['regex']!r} is not a regular expression: {exc}") from None
    for size in ("min", "max"):
        if size in params and (not isinstance(params[size], int) or params[size] < 0):
            raise RuleError(f"{size!r} is a number of items (0 or more)")
    if name in ("eachKey", "eachValue"):
        params["inner"] = tuple(read_rule(r) for r in params.get("rules") or [])
    if name == "arrayContains":
        params["read_variants"] = tuple(_read_variant(v) for v in params.get("variants") or [])
    return Rule(name, params)


def _read_variant(raw: Any) -> tuple[int, MatchingRules]:
    if not isinstance(raw, dict) or not isinstance(raw.get("index"), int):
        raise RuleError("an arrayContains variant is an object with an 'index'")
    rules = raw.get("rules") or {}
    return raw["index"], MatchingRules(body=_read_body_category(rules))


def read_rule_list(raw: Any) -> RuleList:
    """`{"matchers": [...], "combine": "OR"}` (V3/V4) or a single V2 matcher."""
    if isinstance(raw, dict) and "matchers" in raw:
        matchers = raw["matchers"]
        if not isinstance(matchers, list):
            raise RuleError("'matchers' is a list")
        combine = str(raw.get("combine", "AND")).upper()
        if combine not in ("AND", "OR"):
            raise RuleError(f"'combine' is AND or OR, not {combine!r}")
        rules = tuple(_at(("matchers", i), read_rule, m) for i, m in enumerate(matchers))
        return RuleList(rules, combine)
    return RuleList((read_rule(raw),))


def _at(tokens: tuple[Any, ...], read: Any, *args: Any) -> Any:
    """`read(*args)`, a RuleError it raises located under `tokens`."""
    try:
        return read(*args)
    except RuleError as exc:
        raise exc.inside(*tokens) from None


def _read_body_category(raw: Any) -> tuple[tuple[PathExp, RuleList], ...]:
    if not isinstance(raw, dict):
        raise RuleError("the body's rules are an object of path expressions")
    return tuple(
        (_at((path,), PathExp.parse, path), _at((path,), read_rule_list, rules))
        for path, rules in raw.items()
    )


def read_matching_rules(raw: Any, version: int) -> MatchingRules:
    """An HTTP part's `matchingRules`, of specification `version` (2: `$.body...` keys)."""
    if raw is None:
        return MatchingRules()
    if not isinstance(raw, dict):
        raise RuleError("'matchingRules' is an object")
    if version < 3 and any(isinstance(k, str) and k.startswith("$") for k in raw):
        return _read_v2(raw)
    body: tuple[tuple[PathExp, RuleList], ...] = ()
    header: dict[str, RuleList] = {}
    query: dict[str, RuleList] = {}
    path = status = method = None
    for category, rules in raw.items():
        if category == "body":
            body = _at((category,), _read_body_category, rules)
        elif category in ("header", "headers", "query"):
            named = {
                str(n): _at((category, n), read_rule_list, r)
                for n, r in _at((category,), _object, rules).items()
            }
            if category == "query":
                query = named
            else:
                header = {n.lower(): r for n, r in named.items()}
        elif category in ("path", "status", "method"):
            read = _at((category,), read_rule_list, rules)
            path, status, method = (
                read if category == "path" else path,
                read if category == "status" else status,
                read if category == "method" else method,
            )
        else:
            raise RuleError(f"unknown matching rule category {category!r}", (category,))
    return MatchingRules(body, header, query, path, status, method)


def _object(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RuleError("a category's rules are an object")
    return raw


def _read_v2(raw: dict[str, Any]) -> MatchingRules:
    """V2 keys: `$.body.x`, `$.headers.NAME`, `$.query.NAME`, `$.path`."""
    body: list[tuple[PathExp, RuleList]] = []
    header: dict[str, RuleList] = {}
    query: dict[str, RuleList] = {}
    path = None
    for key, rule in raw.items():
        rules = _at((key,), read_rule_list, rule)
        expression = _at((key,), PathExp.parse, key)
        head, rest = expression.tokens[:1], expression.tokens[1:]
        if head == ("body",):
            tail = key[len("$.body") :]
            body.append((PathExp.parse("$" + tail), rules))
        elif head in (("headers",), ("header",)) and rest:
            header[str(rest[0]).lower()] = rules
        elif head == ("query",) and rest:
            query[str(rest[0])] = rules
        elif head == ("path",):
            path = rules
        else:
            raise RuleError(f"{key!r} names no part of a request or response", (key,))
    return MatchingRules(tuple(body), header, query, path)


# -- the rules themselves -------------------------------------------------------------


def json_type(value: Any) -> str:
    """Pact's names for JSON types (a bool is no number here, unlike in Python)."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "List"
    if isinstance(value, dict):
        return "Map"
    return type(value).__name__


def show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _shown(value: Any) -> str:
    """A value as JSON, so that "7" and 7 read apart."""
    return json.dumps(value, ensure_ascii=False)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


Check = Callable[[Rule, Any, Any, bool], "str | None"]


def _type(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if json_type(expected) != json_type(actual):
        wanted, got = json.dumps(expected), json.dumps(actual)
        return (
            f"Expected {got} ({json_type(actual)}) to be the same type as "
            f"{wanted} ({json_type(expected)})"
        )
    if isinstance(actual, list) and not cascaded:
        low, high = rule.get("min"), rule.get("max")
        if low is not None and len(actual) < low:
            return f"Expected {show(actual)} to have at least {low} item(s)"
        if high is not None and len(actual) > high:
            return f"Expected {show(actual)} to have at most {high} item(s)"
    return None


def _regex(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if isinstance(actual, (list, dict)):
        return None  # checked on each value inside
    if rule["compiled"].fullmatch(_text(actual)) is None:
        return f"Expected {_shown(actual)} to match '{rule['regex']}'"
    return None


def _include(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if str(rule.get("value", "")) not in _text(actual):
        return f"Expected {_shown(actual)} to include {rule.get('value')!r}"
    return None


def _equality(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if json_type(expected) != json_type(actual) or expected != actual:
        return f"Expected {_shown(actual)} to be equal to {_shown(expected)}"
    return None


def _as_text(expected: Any, actual: Any) -> bool:
    """A header, query or path value: text whose digits stand for a number."""
    return isinstance(expected, str) and isinstance(actual, str)


def _integer(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if isinstance(actual, int) and not isinstance(actual, bool):
        return None
    if _as_text(expected, actual) and re.fullmatch(r"-?\d+", actual):
        return None
    return f"Expected {_shown(actual)} to be an integer value"


def _decimal(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if isinstance(actual, float) and math.isfinite(actual):
        return None
    if _as_text(expected, actual) and re.fullmatch(r"-?\d+\.\d+", actual):
        return None
    return f"Expected {_shown(actual)} to be a decimal value"


def _number(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return None
    if _as_text(expected, actual) and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", actual):
        return None
    return f"Expected {_shown(actual)} to be a number"


def _boolean(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if isinstance(actual, bool) or actual in ("true", "false"):
        return None
    return f"Expected {_shown(actual)} to match a boolean"


def _null(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    return None if actual is None else f"Expected {_shown(actual)} to be a null value"


def _datetime(kind: str) -> Check:
    def check(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
        pattern = rule.get("format") or rule.get(kind)
        if not isinstance(actual, str) or not dates.matches(kind, pattern, actual):
            shown = f" of {pattern!r}" if pattern else ""
            return f"Expected {_shown(actual)} to match a {kind} format{shown}"
        return None

    check.__name__ = f"_{kind}"
    return check


def _not_empty(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if actual is None or actual == "" or actual == [] or actual == {}:
        return f"Expected {_shown(actual)} to not be empty"
    return None


_SEMVER = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def _semver(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if isinstance(actual, str) and _SEMVER.fullmatch(actual):
        return None
    return f"Expected {_shown(actual)} to be a semantic version"


_STATUS_CLASSES = {
    "information": range(100, 200),
    "success": range(200, 300),
    "redirect": range(300, 400),
    "clientError": range(400, 500),
    "serverError": range(500, 600),
    "nonError": range(100, 400),
    "error": range(400, 600),
}


def _status_code(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    status = rule.get("status")
    allowed = _STATUS_CLASSES.get(status) if isinstance(status, str) else status
    if allowed is None or not isinstance(actual, int) or actual not in allowed:
        return f"Expected status code {actual} to be a {status}"
    return None


def _in_children(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    """Rules on a collection's members (values, eachValue, arrayContains): the walk applies
    them to each member; on the collection itself they hold."""
    return None


def _values(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    """`values`: any keys; a member that is no collection is compared by value."""
    if isinstance(actual, (dict, list)):
        return None
    return _equality(rule, expected, actual, cascaded)


def _each_key(rule: Rule, expected: Any, actual: Any, cascaded: bool) -> str | None:
    if not isinstance(actual, dict):
        return None
    for key in actual:
        for inner in rule["inner"]:
            why = RULES[inner.match](inner, key, key, False)
            if why is not None:
                return f"key {key!r}: {why}"
    return None


RULES: dict[str, Check] = {
    "type": _type,
    "regex": _regex,
    "include": _include,
    "equality": _equality,
    "integer": _integer,
    "decimal": _decimal,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
    "date": _datetime("date"),
    "time": _datetime("time"),
    "timestamp": _datetime("timestamp"),
    "datetime": _datetime("timestamp"),
    "values": _values,
    "eachValue": _in_children,
    "eachKey": _each_key,
    "arrayContains": _in_children,
    "notEmpty": _not_empty,
    "semver": _semver,
    "statusCode": _status_code,
}


def check(rules: RuleList, expected: Any, actual: Any) -> list[str]:
    """Why `actual` fails `rules` (AND: any rule; OR: every rule); empty when it holds."""
    whys = []
    for rule in rules.rules:
        why = RULES[rule.match](rule, expected, actual, rules.cascaded)
        if why is None and rules.combine == "OR":
            return []
        if why is not None:
            whys.append(why)
    return whys
