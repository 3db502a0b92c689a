"""`mockserve run --workers N`: N processes (Unix) serving one listening socket.

Each worker has its own copy of everything a running app keeps, so only specs whose
answers never depend on earlier requests may use more than one, unless the workers share
a store (`--store`): `why_not` says why not. The admin API tells the truth about it: a
shutdown stops every worker, and what only one worker would see (its journal, a reset)
is refused with a 409 saying why; with a shared store every worker sees the same.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Callable

from .spec import Spec


def why_not(
    spec: Spec, *, journal_options: tuple[str, ...] = (), shared: bool = False
) -> str | None:
    """Why `spec` cannot be served by several processes, or None when it can.

    `journal_options` names the command-line options in use that read the whole run's
    journal (e.g. --strict, --exit-after), which one process cannot see for all.
    `shared`: the workers share a store (`--store`), so state is no reason to refuse.
    """
    if not hasattr(os, "fork"):
        return "--workers needs a Unix-like system (it forks); serve with one process"
    uses = []
    if spec.resources:
        uses.append("resources")
    if any(route.order in ("sequence", "cycle") for route in spec.routes):
        uses.append("sequence/cycle order")
    if any(route.keeps_state for route in spec.routes):
        uses.append("state")
    if (spec.stateful or uses) and not shared:
        uses = uses or ["state"]
        return (
            f"--workers needs a spec without state, and this one uses {', '.join(uses)}: "
            "each worker would keep its own copy and answer differently. "
            "Serve it with one process (the default), or give the workers a shared store "
            "(--store redis://HOST:PORT/DB)"
        )
    if journal_options:
        return (
            f"--workers cannot be combined with {', '.join(journal_options)}: "
            "each worker sees only its own requests"
        )
    return None


def stop_all() -> None:
    """From a worker: ask the parent to stop every worker (as SIGTERM to it does)."""
    os.kill(os.getppid(), signal.SIGTERM)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket the workers share (IPv6 when `host` is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.setblocking(False)
    return sock


def serve_forked(sock: socket.socket, workers: int, serve_one: Callable[[], None]) -> int:
    """Fork `workers` processes that each run `serve_one()`; return once all have stopped.

    SIGINT/SIGTERM to this process reach every worker; a worker that dies is not replaced.
    Returns the number of workers that exited with an error.
    """
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = 0
            try:
                serve_one()
            except BaseException:  # noqa: BLE001 - report, then leave without cleanup
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    sock.close()

    def forward(signum, frame):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    failed = 0
    for child in children:
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        if os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM, -signal.SIGINT):
            failed += 1
    return failed
