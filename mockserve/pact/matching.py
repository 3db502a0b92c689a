"""Does a request (or a response) match an interaction, as the Pact specification says?

Method and path are equal (or match their rule); the query has the same parameters with
the same values in order; headers are a subset, names in any case, comma-separated
values compared item by item (media types by type and parameters); bodies by their
`matchingRules`, else by value: a request body may not carry keys the pact does not
name, a response body may. Every mismatch is reported with Pact's path (`$.items[0].id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from .model import EMPTY, MISSING, NULL, PRESENT, Body, Request, Response, is_json_type
from .paths import PathExp
from .rules import MatchingRules, Rule, RuleList, check, json_type, show

Path = tuple[str | int, ...]
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Mismatch:
    """One way the actual differs from the pact: where (`$.items[0].id`) and why."""

    part: str  # method | path | query | header | body | status
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def as_json(self) -> dict[str, str]:
        return {"part": self.part, "path": self.where, "message": self.message}


def json_path(path: Path) -> str:
    """Pact's way of writing a path in a body: `$.items[0].id`, `$['a b']`."""
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}"
        else:
            text += "['" + part.replace("'", "\\'") + "']"
    return text


# -- request and response -----------------------------------------------------------


def match_request(expected: Request, actual: Request, version: int = 4) -> list[Mismatch]:
    """Every way `actual` (a request received) differs from the interaction's request."""
    found: list[Mismatch] = []
    found += _match_text("method", expected.method.upper(), actual.method.upper(), None)
    found += _match_text("path", expected.path, actual.path, expected.rules.path)
    if version == 1 and expected.query_text is not None:  # V1: the query strings are equal
        wanted, got = unquote(expected.query_text), unquote(actual.query_text or "")
        found += _match_text("query", wanted, got, None)
    else:
        found += match_query(expected, actual)
    found += match_headers(expected.headers, actual.headers, expected.rules.header)
    found += match_body(expected.body, actual.body, expected, request=True)
    return found


def match_response(expected: Response, actual: Response) -> list[Mismatch]:
    """Every way `actual` (a provider's answer) differs from the interaction's response."""
    found: list[Mismatch] = []
    status_rules = expected.rules.status
    if status_rules is not None:
        for why in check(status_rules, expected.status, actual.status):
            found.append(Mismatch("status", "status", why))
    elif expected.status != actual.status:
        message = f"expected status {expected.status} but was {actual.status}"
        found.append(Mismatch("status", "status", message))
    found += match_headers(expected.headers, actual.headers, expected.rules.header)
    found += match_body(expected.body, actual.body, expected, request=False)
    return found


def _match_text(part: str, expected: str, actual: str, rules: RuleList | None) -> list[Mismatch]:
    if rules is not None:
        return [Mismatch(part, part, why) for why in check(rules, expected, actual)]
    if expected != actual:
        return [Mismatch(part, part, f"expected {expected!r} but was {actual!r}")]
    return []


def match_query(expected: Request, actual: Request) -> list[Mismatch]:
    """Same names; each name's values equal in order, or each matching its rule."""
    if expected.query is None:
        return []
    wanted, got = expected.query, actual.query or {}
    found = []
    for name, values in wanted.items():
        where = f"$.query.{name}"
        if name not in got:
            found.append(Mismatch("query", where, f"expected query parameter {name!r}"))
            continue
        rules = expected.rules.query.get(name)
        received = got[name]
        if rules is not None:
            for index, value in enumerate(received):
                example = values[min(index, len(values) - 1)] if values else ""
                for why in check(rules, example, value):
                    found.append(Mismatch("query", where, why))
            continue
        if list(values) != list(received):
            message = f"expected {list(values)} but was {list(received)}"
            found.append(Mismatch("query", where, message))
    for name in got:
        if name not in wanted:
            message = f"unexpected query parameter {name!r} = {list(got[name])}"
            found.append(Mismatch("query", f"$.query.{name}", message))
    return found


# -- headers ------------------------------------------------------------------------

_MEDIA_HEADERS = frozenset({"content-type", "accept"})


def match_headers(
    expected: tuple[tuple[str, str], ...],
    actual: tuple[tuple[str, str], ...],
    rules: dict[str, RuleList],
) -> list[Mismatch]:
    """The pact's headers must be there (names in any case); more are allowed."""
    received: dict[str, list[str]] = {}
    for name, value in actual:
        received.setdefault(name.lower(), []).append(value)
    found = []
    for name, value in expected:
        where = f"$.headers.{name}"
        values = received.get(name.lower())
        if values is None:
            found.append(Mismatch("header", where, f"expected header {name!r} but was missing"))
            continue
        got = ", ".join(values)
        rule_list = rules.get(name.lower())
        if rule_list is not None:
            found += [Mismatch("header", where, why) for why in check(rule_list, value, got)]
        elif not _header_equal(name.lower(), value, got):
            message = f"expected header {name!r} to have value {value!r} but was {got!r}"
            found.append(Mismatch("header", where, message))
    return found


def _header_equal(name: str, expected: str, actual: str) -> bool:
    if name in _MEDIA_HEADERS:
        wanted, got = _media_types(expected), _media_types(actual)
        return len(wanted) == len(got) and all(map(_media_equal, wanted, got))
    return _items(expected) == _items(actual)


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",")]


def _media_types(value: str) -> list[tuple[str, dict[str, str]]]:
    types = []
    for item in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", value):
        main, *params = [p.strip() for p in item.split(";")]
        pairs = {}
        for param in params:
            key, _, val = param.partition("=")
            pairs[key.strip().lower()] = val.strip()
        types.append((main, pairs))
    return types


def _media_equal(expected: tuple[str, dict[str, str]], actual: tuple[str, dict[str, str]]) -> bool:
    """Same type; each parameter the pact gives present (charsets in any case)."""
    if expected[0] != actual[0]:  # values are case-sensitive, parameters' names are not
        return False
    for key, value in expected[1].items():
        got = actual[1].get(key)
        if got is None:
            return False
        if key == "charset":
            value, got = value.lower(), got.lower()
        if value.strip('"') != got.strip('"'):
            return False
    return True


# -- bodies -------------------------------------------------------------------------


def match_body(expected: Body, actual: Body, part: Any, *, request: bool) -> list[Mismatch]:
    """A missing expected body takes anything; an empty or null one takes no content."""
    if expected.state == MISSING:
        return []
    if expected.state in (EMPTY, NULL):
        if actual.state == PRESENT and actual.raw.strip() not in (b"", b"null"):
            return [Mismatch("body", "$", f"expected an empty body but received {actual.text!r}")]
        return []
    if actual.state != PRESENT:
        return [Mismatch("body", "$", f"expected a body but it was {actual.state}")]
    rules = part.rules
    if expected.is_json or is_json_type(expected.content_type):
        if not actual.is_json:
            message = f"expected a JSON body but received {actual.text[:80]!r}"
            return [Mismatch("body", "$", message)]
        walk = _Walk(rules, allow_extra=not request)
        walk.compare((), expected.value, actual.value)
        return walk.found
    if _is_form(expected.content_type):  # as parameters: `$.name` paths, any order
        walk = _Walk(rules, allow_extra=not request)
        walk.compare((), _form(expected.text), _form(actual.text))
        return walk.found
    body_rules = rules.for_body(())
    if body_rules is not None:
        return [Mismatch("body", "$", why) for why in check(body_rules, expected.text, actual.text)]
    if expected.raw != actual.raw:
        message = f"expected body {expected.text!r} but received {actual.text!r}"
        return [Mismatch("body", "$", message)]
    return []


def _is_form(content_type: str | None) -> bool:
    main = (content_type or "").split(";", 1)[0].strip().lower()
    return main == "application/x-www-form-urlencoded"


def _form(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(name, []).append(value)
    return fields


class _Walk:
    """Compares two JSON documents under a part's body rules, gathering every mismatch."""

    def __init__(self, rules: Any, *, allow_extra: bool):
        self.rules = rules
        self.allow_extra = allow_extra
        self.found: list[Mismatch] = []

    def fail(self, path: Path, message: str) -> None:
        self.found.append(Mismatch("body", json_path(path), message))

    def compare(self, path: Path, expected: Any, actual: Any) -> None:
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                self._type_mismatch(path, expected, actual)
            else:
                self.compare_maps(path, expected, actual)
        elif isinstance(expected, list):
            if not isinstance(actual, list):
                self._type_mismatch(path, expected, actual)
            else:
                self.compare_lists(path, expected, actual)
        else:
            self.compare_values(path, expected, actual)

    def _type_mismatch(self, path: Path, expected: Any, actual: Any) -> None:
        rules = self.rules.for_body(path)
        if rules is not None and not check(rules, expected, actual):
            return
        self.fail(
            path,
            f"Type mismatch: expected {json_type(expected)} {show(expected)} "
            f"but received {json_type(actual)} {show(actual)}",
        )

    def compare_maps(self, path: Path, expected: dict, actual: dict) -> None:
        rules = self.rules.for_body(path)
        if rules is not None:
            for why in check(rules, expected, actual):
                self.fail(path, why)
            values = not rules.cascaded and any(
                r.match in ("values", "eachValue") for r in rules.rules
            )
            if values:
                self._each_value(path, rules, expected, actual)
                return
            if any(r.match == "eachKey" for r in rules.rules) and not rules.cascaded:
                self._each_value(path, rules, expected, actual)
                return
        if not expected and actual and not self.allow_extra and rules is None:
            self.fail(path, f"expected an empty Map but received {show(actual)}")
            return
        missing = [key for key in expected if key not in actual]
        if missing:
            self.fail(path, f"actual map is missing the following keys: {', '.join(missing)}")
        if not self.allow_extra:
            extra = [key for key in actual if key not in expected]
            if extra:
                self.fail(
                    path,
                    f"expected a Map with keys {', '.join(expected) or '(none)'} but "
                    f"received one with keys {', '.join(actual)}",
                )
        for key, value in expected.items():
            if key in actual:
                self.compare((*path, key), value, actual[key])

    def _each_value(self, path: Path, rules: RuleList, expected: dict, actual: dict) -> None:
        """`values`/`eachValue`/`eachKey`: every key is welcome; each value is like the first."""
        inner = _inner_rules(rules)
        first = next(iter(expected.values()), None)
        for key, value in actual.items():
            example = expected.get(key, first)
            if inner is not None:
                for why in check(inner, example, value):
                    self.fail((*path, key), why)
                if isinstance(value, (dict, list)) and isinstance(example, type(value)):
                    self.compare((*path, key), example, value)
            elif key in expected or expected:
                self.compare((*path, key), example, value)

    def compare_lists(self, path: Path, expected: list, actual: list) -> None:
        rules = self.rules.for_body(path)
        if rules is not None:
            if not expected:
                return
            for why in check(rules, expected, actual):
                self.fail(path, why)
            contains = [r for r in rules.rules if r.match == "arrayContains"]
            if contains:
                for rule in contains:
                    self._array_contains(path, rule, expected, actual)
                return
            inner = _inner_rules(rules) if not rules.cascaded else None
            for index, value in enumerate(actual):
                example = expected[index] if index < len(expected) else expected[0]
                if inner is not None:
                    for why in check(inner, example, value):
                        self.fail((*path, index), why)
                    if not isinstance(value, (dict, list)):
                        continue
                self.compare((*path, index), example, value)
            return
        if not expected and actual:
            self.fail(path, f"expected an empty List but received {show(actual)}")
            return
        for index, value in enumerate(expected):
            if index < len(actual):
                self.compare((*path, index), value, actual[index])
            elif self.rules.for_body((*path, index)) is None:
                self.fail(path, f"expected {show(value)} ({index}) but was missing")
        if len(expected) != len(actual):
            self.fail(
                path,
                f"expected a List with {len(expected)} elements "
                f"but received {len(actual)} elements",
            )

    def _array_contains(self, path: Path, rule: Any, expected: list, actual: list) -> None:
        variants = rule["read_variants"] or tuple(
            (index, _EQUALITY) for index in range(len(expected))
        )
        for index, variant_rules in variants:
            if index >= len(expected):
                self.fail(path, f"arrayContains: variant {index} is not in the expected list")
                continue
            example = expected[index]
            found = False
            for value in actual:
                walk = _Walk(variant_rules, allow_extra=self.allow_extra)
                walk.compare((), example, value)
                if not walk.found:
                    found = True
                    break
            if not found:
                self.fail(
                    path,
                    f"variant at index {index} ({show(example)}) was not found in the actual list",
                )

    def compare_values(self, path: Path, expected: Any, actual: Any) -> None:
        rules = self.rules.for_body(path)
        if rules is not None:
            for why in check(rules, expected, actual):
                self.fail(path, why)
            return
        if json_type(expected) != json_type(actual) or expected != actual:
            self.fail(path, f"expected {show(expected)!r} but received {show(actual)!r}")


def _inner_rules(rules: RuleList) -> RuleList | None:
    """The rules that `eachValue`/`eachKey` give for each member (None for `values`)."""
    for rule in rules.rules:
        if rule.match == "eachValue" and rule["inner"]:
            return RuleList(rule["inner"])
    return None


# arrayContains with no variants: each expected item must be in the list, by value.
_EQUALITY = MatchingRules(body=((PathExp.parse("$"), RuleList((Rule("equality"),))),))
