"""The run lifecycle: the pieces `mockserve run` puts together around the server.

Opening the store, forwarding to an upstream, stopping after N requests, serving while a
command runs, and the strict run's verdict; `run.py` holds the command's options and
the order these happen in.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import click

from ..report import plural
from ..spec import Spec
from .common import http_url

STORE_POLL_SECONDS = 0.5
POSIX = os.name == "posix"


def open_store(spec: Spec, url: str | None, wait: float = 0.0) -> Any:
    """The stores to serve from (--store, else settings.store, else memory); exit 2 if lost.

    A store that does not answer yet is asked again for up to `wait` seconds (--store-wait).
    """
    from ..errors import StoreUnavailable
    from ..stores import open_stores

    deadline = time.monotonic() + wait
    waiting = False
    while True:
        try:
            return open_stores(spec, url)
        except ValueError as exc:
            click.echo(f"mockserve: {exc}; not serving.", err=True)
            sys.exit(2)
        except StoreUnavailable as exc:
            if time.monotonic() >= deadline:
                after = f" after waiting {wait:g} s" if waiting else ""
                click.echo(f"mockserve: {exc}{after}; not serving.", err=True)
                sys.exit(2)
            if not waiting:
                click.echo(f"mockserve: {exc}; waiting up to {wait:g} s for it", err=True)
                waiting = True
            time.sleep(STORE_POLL_SECONDS)


def store_shown(url: str | None) -> str:
    """A store's URL without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    if parts.password:
        return (url or "").replace(f":{parts.password}@", ":***@", 1)
    return url or ""


def serve_while(runner: Any, command: tuple[str, ...], admin: str | None, access: Any) -> int:
    """Serve while CMD runs (with MOCKSERVE_URL), once the mock answers; CMD's exit code."""
    import subprocess

    from ..serve import probe

    runner.start()
    if admin:
        why = probe.wait(runner.url, 10, admin=admin, token=access.token)
        if why is not None:
            click.echo(f"mockserve: {why}; not running {command[0]}", err=True)
            runner.stop()
            return 1
    # Signals are forwarded from before CMD starts: one that arrives while it is being
    # started is sent to it once it runs, never taken as the mock's own stop.
    started: list[subprocess.Popen[bytes]] = []
    waiting: list[int] = []

    def forward(signum: int, frame: object) -> None:
        if not started:
            waiting.append(signum)
            return
        child = started[0]
        if not POSIX:
            child.send_signal(signum)
            return
        try:  # CMD decides when to stop; the mock serves until then
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass  # the group ended already

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        # A session (and process group) of its own: a signal forwarded to the group
        # reaches CMD and every process CMD started. Its keyboard input still works: the
        # terminal it reads is no controlling terminal of its, so no job control stops it.
        child = subprocess.Popen(
            list(command),
            env={**os.environ, "MOCKSERVE_URL": runner.url},
            start_new_session=POSIX,
        )
    except OSError as exc:
        click.echo(f"mockserve: cannot run {command[0]}: {exc.strerror or exc}", err=True)
        runner.stop()
        return 127
    started.append(child)
    for signum in waiting:
        forward(signum, None)
    code = child.wait()
    runner.stop()
    return code if code >= 0 else 128 - code  # killed by signal N: 128 + N, as a shell says


def with_upstream(spec: Spec, proxy_to: str | None, ca: str | None = None) -> Spec:
    """`--proxy-to URL` as settings.proxy.to (a usage error for a URL that is not http(s)),
    `--upstream-ca FILE` as settings.proxy.ca."""
    if proxy_to is None and ca is None:
        return spec
    from ..proxy import with_upstream

    url = http_url(proxy_to, "--proxy-to") if proxy_to is not None else None
    return with_upstream(spec, url, ca)


def proxy_notes(spec: Spec) -> list[str]:
    """`proxying to URL` for the banner, when requests are forwarded."""
    proxy = spec.settings.proxy
    if proxy is None or not proxy.to:
        return []
    return [f"proxying {'everything' if proxy.when == 'always' else 'the rest'} to {proxy.to}"]


def stop_after(count: int, stop: Callable[[], None]) -> Callable[[Any, Any], None]:
    """A listener that stops the server once `count` requests were answered."""
    lock = threading.Lock()
    seen = 0

    def listener(exchange: Any, entry: Any) -> None:
        nonlocal seen
        with lock:
            seen += 1
            done = seen == count
        if done:
            stop()

    return listener


def summary(violations: list, requests: int) -> str:
    """The strict run's verdict: every violation of the run, or that there was none."""
    from ..report import violations_text

    if not violations:
        return f"mockserve: no violations in {plural(requests, 'request')}"
    return (
        f"mockserve: {plural(len(violations), 'violation')} in "
        f"{plural(requests, 'request')}:\n{violations_text(violations)}"
    )


def never_exercised(app: Any) -> list[str]:
    """A served pact's interactions that no request exercised (a --strict failure)."""
    from ..pact.serve import EXTENSION

    server = app.extensions.get(EXTENSION)
    missed = server.never_exercised() if server is not None else []
    if not missed:
        return []
    lines = [f"mockserve: {plural(len(missed), 'interaction')} of the pact never exercised:"]
    for item in missed:
        request = item.interaction.request
        lines.append(f"  {request.method} {request.path}  {item.route.name!r}")
    return lines
