"""Mockoon's response rules as `when` conditions, and its template helpers as Jinja.

Mockoon compares rule values as text (`1` equals the number 1, `true` the boolean),
tests a regex anywhere in the value (JavaScript's `RegExp.test`), and for an array
checks whether any item equals the value.
"""

from __future__ import annotations

import re
from typing import Any

from .common import header_ref, jinja, member
from .handlebars import dotted

_FAKES = {
    "person.firstName": "fake.first_name()",
    "person.lastName": "fake.last_name()",
    "person.fullName": "fake.name()",
    "internet.email": "fake.email()",
    "string.uuid": "uuid()",
    "location.city": "fake.city()",
    "company.name": "fake.company()",
}


def _subject(target: str, modifier: str) -> str | None:
    if target == "params":
        return member("path", modifier)
    if target == "query":
        return member("query", modifier.replace(".", "[", 1) + "]" if "." in modifier else modifier)
    if target == "header":
        return header_ref(modifier)
    if target == "cookie":
        return member("cookies", modifier)
    if target == "method":
        return "request.method"
    if target == "path":
        return "request.path"
    if target == "body":
        if not modifier:
            return "request.body"
        parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", modifier)]
        expression = "body"
        for part in parts:
            expression = f"{expression}[{part}]" if part.isdigit() else member(expression, part)
        return expression
    return None


def _equals(subject: str, value: str, body: bool) -> str:
    test = f"{subject} == {jinja(value)}"
    if not body:
        return test  # path values, query parameters and headers are text
    # A body value is compared as its text: 1 equals "1", true equals "true".
    if value in ("true", "false"):
        test = f"({test} or {subject} is {value})"
    elif re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        number = float(value) if "." in value else int(value)
        typed = f"{subject} is number and {subject} is not boolean and {subject} == {number}"
        test = f"({test} or ({typed}))"
    # An array in the body holds the value when any of its items does.
    listed = f"{subject} is sequence and {subject} is not string and {jinja(value)} in {subject}"
    return f"({test} or ({listed}))"


def _rule(rule: dict[str, Any]) -> tuple[str | None, str | None]:
    target = str(rule.get("target") or "")
    modifier = str(rule.get("modifier") or "")
    value = str(rule.get("value") if rule.get("value") is not None else "")
    operator = str(rule.get("operator") or "equals")
    subject = _subject(target, modifier)
    if subject is None:
        return None, f"rule on {target}: not carried"
    if operator == "equals" and value == "":
        found = f"({subject} is not defined or {subject} is none or {subject} == {jinja('')})"
    elif operator == "equals":
        found = _equals(subject, value, target == "body" and bool(modifier))
    elif operator in ("regex", "regex_i"):
        flags = "(?i)" if operator == "regex_i" else ""
        try:
            re.compile(flags + value)
        except re.error:
            return None, f"rule regex {value!r}: not a Python regular expression"
        found = f"{subject} is matching({jinja(flags + value)})"
    elif operator == "null":
        found = f"({subject} is not defined or {subject} is none)"
    elif operator == "empty_array":
        found = f"{subject} == []"
    elif operator == "array_includes":
        found = f"{jinja(value)} in {subject}"
    else:
        return None, f"rule operator {operator}: not carried"
    if rule.get("invert"):
        found = f"not ({found})"
    return found, None


def rules_condition(rules: list[Any], operator: str) -> tuple[str | None, list[str]]:
    """The condition for a response's rules (None when none could be carried), and the drops."""
    conditions: list[str] = []
    dropped: list[str] = []
    for rule in rules:
        found, why = _rule(rule if isinstance(rule, dict) else {})
        if found is None:
            dropped.append(why or "rule not carried")
        else:
            conditions.append(found)
    if not conditions:
        return None, dropped
    if len(conditions) == 1:
        return conditions[0], dropped
    joiner = " and " if operator == "AND" else " or "
    return joiner.join(f"({c})" for c in conditions), dropped


def mockoon_helper(name: str, args: list[str], options: dict[str, str]) -> str | None:
    """One `{{...}}` of a Mockoon template in Jinja, or None when mockserve has no equal."""
    if options:
        return None
    simple = {
        "urlParam": "path",
        "queryParam": "query",
        "cookie": "cookies",
    }
    if name in simple and len(args) in (1, 2):
        expression = member(simple[name], args[0])
    elif name == "header" and len(args) in (1, 2):
        expression = header_ref(args[0])
    elif name == "body" and len(args) in (1, 2):
        expression = dotted(args[0], "body")
    elif name in ("body", "bodyRaw") and not args:
        return "request.body"
    elif name == "method" and not args:
        return "request.method"
    elif name in ("uuid", "guid") and not args:
        return "uuid()"
    elif name == "now" and not args:
        return "now()"
    elif name == "int" and len(args) == 2 and all(re.fullmatch(r"-?\d+", a) for a in args):
        return f"randint({args[0]}, {args[1]})"
    elif name == "faker" and len(args) == 1 and args[0] in _FAKES:
        return _FAKES[args[0]]
    else:
        return None
    if len(args) == 2:
        expression += f" | default({jinja(args[1])})"
    return expression
