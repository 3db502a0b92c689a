"""Waiting for something to arrive, as tests do: on a condition, bounded, never a sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sized
from typing import TypeVar

T = TypeVar("T", bound=Sized)


def wait_until(
    arrived: threading.Condition, found: Callable[[], T], times: int, timeout: float
) -> T:
    """`found()` once it holds `times` items, or what it holds when `timeout` s have passed.

    `arrived` is notified whenever something new may have arrived.
    """
    deadline = time.monotonic() + timeout
    with arrived:
        while True:
            result = found()
            left = deadline - time.monotonic()
            if len(result) >= times or left <= 0:
                return result
            arrived.wait(left)
