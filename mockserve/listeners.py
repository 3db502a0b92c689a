"""Listeners of finished exchanges that write the logs: one access line, and violations."""

from __future__ import annotations

import logging

from .exchange import Exchange
from .journal import Entry

access_log = logging.getLogger("mockserve.access")
violation_log = logging.getLogger("mockserve.violations")


def log_violation(exchange: Exchange, entry: Entry) -> None:
    """A line of its own for each violation (`run --strict` shows them as such)."""
    if exchange.violation and violation_log.isEnabledFor(logging.WARNING):
        violation_log.warning(
            "%s %s -> %d: %s", entry.method, entry.path, entry.status or 0, exchange.violation
        )


def log_access(exchange: Exchange, entry: Entry) -> None:
    """`GET /users/1 -> 200  get-user  1.2 ms`, with why it missed when it did."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    request = exchange.request
    target = request.full_path if request.query_string else request.path
    violation = exchange.violation
    # Why a request missed goes on its own line when violations are logged (--strict),
    # else at the end of the request's line.
    why = (
        f"  ({violation})" if violation and not violation_log.isEnabledFor(logging.WARNING) else ""
    )
    access_log.info(
        "%s %s -> %s  %s  %.1f ms%s",
        request.method,
        target,
        "disconnected" if exchange.disconnected else entry.status,
        exchange.route or "-",
        exchange.duration_ms,
        why,
    )
