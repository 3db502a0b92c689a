"""WireMock's value patterns (`equalTo`, `matches`, `absent`, ...) as `when` conditions.

`value` is the Jinja expression of what is matched (`query.status`, `headers["Accept"]`,
`request.body`). WireMock's regexes match the whole value, so they are anchored here.
"""

from __future__ import annotations

import json
from typing import Any

from .common import jinja
from .handlebars import jsonpath


def _anchored(pattern: str) -> str:
    return "^(?:" + pattern + ")$"


def _json_value(raw: Any) -> tuple[Any, bool]:
    if isinstance(raw, str):
        try:
            return json.loads(raw), True
        except ValueError:
            return None, False
    return raw, True


def condition(value: str, pattern: Any) -> tuple[str | None, str | None]:
    """The condition for `pattern`, and what of it was not carried (or why none was)."""
    if not isinstance(pattern, dict):
        return None, f"matcher {json.dumps(pattern)}: not a pattern object"
    body = value == "request.body"
    subject = "body" if body else value
    if "equalTo" in pattern:
        expected = str(pattern["equalTo"])
        if pattern.get("caseInsensitive"):
            return f"({value} | lower) == {jinja(expected.lower())}", None
        return f"{value} == {jinja(expected)}", None
    if "contains" in pattern:
        return f"{jinja(str(pattern['contains']))} in {value}", None
    if "doesNotContain" in pattern:
        text = jinja(str(pattern["doesNotContain"]))
        return f"{value} is defined and {text} not in {value}", None
    if "matches" in pattern:
        return f"{value} is matching({jinja(_anchored(str(pattern['matches'])))})", None
    if "doesNotMatch" in pattern:
        regex = jinja(_anchored(str(pattern["doesNotMatch"])))
        return f"{value} is defined and {value} is not matching({regex})", None
    if "absent" in pattern:
        return (f"{value} is not defined" if pattern["absent"] else f"{value} is defined"), None
    if "equalToJson" in pattern:
        expected, ok = _json_value(pattern["equalToJson"])
        if not ok:
            return None, "equalToJson: the expected value is not JSON"
        loose = [k for k in ("ignoreArrayOrder", "ignoreExtraElements") if pattern.get(k)]
        note = f"equalToJson {', '.join(loose)}: compared exactly" if loose else None
        return f"{subject} == {jinja(expected)}", note
    if "matchesJsonPath" in pattern:
        return _json_path(subject, pattern["matchesJsonPath"])
    for combined, joiner in (("and", " and "), ("or", " or ")):
        if isinstance(pattern.get(combined), list):
            parts = [condition(value, p) for p in pattern[combined]]
            if any(found is None for found, _ in parts):
                return None, f"{combined} of matchers that are not all carried"
            return "(" + joiner.join(f"({found})" for found, _ in parts) + ")", None
    kinds = ", ".join(sorted(k for k in pattern if k != "caseInsensitive"))
    return None, f"matcher {kinds or '{}'}: not carried"


def _json_path(subject: str, raw: Any) -> tuple[str | None, str | None]:
    if isinstance(raw, str):
        found = jsonpath(raw, subject)
        if found is None:
            return None, f"matchesJsonPath {raw!r}: only plain paths ($.a.b[0]) are carried"
        return f"{found} is defined", None
    if isinstance(raw, dict) and isinstance(raw.get("expression"), str):
        found = jsonpath(raw["expression"], subject)
        if found is None:
            expression = raw["expression"]
            return None, f"matchesJsonPath {expression!r}: only plain paths are carried"
        rest = {k: v for k, v in raw.items() if k != "expression"}
        inner, why = condition(found, rest)
        if inner is None:
            return None, why
        return f"{found} is defined and {inner}", why
    return None, "matchesJsonPath: not a path or an {expression: ...} object"
