"""`run --workers N`: N forked processes serve one port."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from ..spec import Spec
from .admin_access import warn_admin
from .common import counts


def run_workers(
    loaded: Spec,
    spec: str,
    host: str,
    port: int,
    quiet: bool,
    workers: int,
    access: Any,
    journal_options: tuple[str, ...] = (),
    stores: Any = None,
    server: str = "auto",
) -> None:
    """`run --workers N`: refuse specs with state without a store (exit 2), else fork N."""
    from .. import workers as forking
    from ..app import create_app
    from ..serve import Runner
    from ..serve.choice import choose

    shared = stores is not None and stores.shared
    reason = forking.why_not(loaded, journal_options=journal_options, shared=shared)
    if reason:
        click.echo(f"{spec}: {reason}.", err=True)
        sys.exit(2)
    # Written directly: a thread started here would not survive the fork.
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    app = create_app(loaded, access=access, workers=workers, stores=stores)
    try:
        sock = forking.listen(host, port)
    except OSError as exc:
        click.echo(f"cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    bound = sock.getsockname()[1]
    choice = choose(app, server)

    def serve_one() -> None:
        runner = Runner(app, host=host, port=bound, sock=sock, backend=choice.factory)
        signal.signal(signal.SIGINT, lambda *_: runner.stop_soon())
        signal.signal(signal.SIGTERM, lambda *_: runner.stop_soon())
        # POST /__mockserve/shutdown reaches one worker: it stops them all, as SIGTERM does.
        runner.mock.shutdown_hooks.append(forking.stop_all)
        runner.serve()

    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"mockserve: serving {loaded.title!r} ({counts(loaded)}) "
        f"on http://{shown}:{bound} with {workers} workers"
        f"{' sharing one store' if shared else ''}  ({choice.describe()}; Ctrl-C to stop)",
        err=True,
    )
    warn_admin(host, access)
    failed = forking.serve_forked(sock, workers, serve_one)
    click.echo("mockserve: stopped", err=True)
    sys.exit(1 if failed else 0)
