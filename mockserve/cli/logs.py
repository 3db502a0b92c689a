"""Where a serving command's log lines go: stderr, written from a thread of its own."""

from __future__ import annotations

import logging
import queue
import sys
from collections.abc import Callable
from logging.handlers import QueueHandler, QueueListener


def start_logging(quiet: bool) -> Callable[[], None]:
    """Log to stderr from a thread of its own: a request only queues its line.

    Writing from each request's thread (a lock and a write per line, under load from
    128 threads) cost more than answering a static route.
    """
    records: queue.SimpleQueue = queue.SimpleQueue()
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    handler = QueueHandler(records)
    root.addHandler(handler)
    writer = QueueListener(records, stream)
    writer.start()

    def stop() -> None:
        """Write what is queued, then log directly again."""
        root.removeHandler(handler)
        writer.stop()

    return stop


def log_violations_as_such() -> None:
    """Mark violation log lines, so a CI log shows them among the access log."""
    violations = logging.getLogger("mockserve.violations")
    if any(getattr(h, "name", None) == "mockserve-strict" for h in violations.handlers):
        return  # a second run in the same process (tests) must not log each one twice
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("mockserve-strict")
    handler.setFormatter(logging.Formatter("%(asctime)s VIOLATION %(message)s", "%H:%M:%S"))
    violations.addHandler(handler)
    violations.setLevel(logging.WARNING)
    violations.propagate = False
