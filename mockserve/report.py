"""Journal records as text a person reads: test assertions, the pytest plugin, `run --strict`."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from .journal import Entry, Violation

INDENT = "    "


def failure_text(failure: dict[str, str]) -> str:
    """One contract failure as `body/qty: 0 is less than the minimum of 1`."""
    where = str(failure.get("in", "")) + str(failure.get("path") or "")
    return f"{where}: {failure.get('message', '')}" if where else str(failure.get("message", ""))


def failures_text(failures: Iterable[dict[str, str]]) -> str:
    """Every failure on one line, as a violation's `why`."""
    return "; ".join(failure_text(f) for f in failures)


def request_line(
    method: str, path: str, status: int | None, route: str | None, query: dict | None = None
) -> str:
    """`METHOD PATH -> STATUS (route)`, the one-line shape every report uses."""
    target = path + ("?" + urlencode(query, doseq=True) if query else "")
    if status == 0:  # a WebSocket message, which has no status: the socket's path instead
        return f"{method} {target} ({route or 'no route'})"
    answer = "no answer (disconnected)" if status is None else str(status)
    return f"{method} {target} -> {answer} ({route or 'no route'})"


def entry_lines(entry: Entry) -> list[str]:
    """A journal entry: its request line, then each contract failure indented below it."""
    line = request_line(entry.method, entry.path, entry.status, entry.route, entry.query)
    return [line] + [INDENT + failure_text(f) for f in entry.failures]


def violation_lines(violation: Violation) -> list[str]:
    """A violation: its request line, then why, one failure a line when there are several."""
    line = request_line(violation.method, violation.path, violation.status, violation.route)
    if violation.failures:
        return [line] + [INDENT + failure_text(f) for f in violation.failures]
    return [line, INDENT + violation.why]


def violations_text(violations: Iterable[Violation], indent: str = "  ") -> str:
    """Every violation, each as `violation_lines`, indented as a block."""
    return "\n".join(indent + line for v in violations for line in violation_lines(v))


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def times_text(count: int) -> str:
    """`once`, `twice`, `3 times`: how often, as an assertion says it."""
    return {0: "0 times", 1: "once", 2: "twice"}.get(count, plural(count, "time"))
