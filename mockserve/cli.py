"""The `mockserve` command: parse arguments, call the library, report errors clearly."""

from __future__ import annotations

import logging
import signal
import sys

import click

from . import __version__
from .errors import SpecError
from .spec import Spec, load_spec


def _load(path: str, seed: int | None = None) -> Spec:
    """Load a spec or exit 2 after printing every problem (never a traceback)."""
    try:
        return load_spec(path, seed=seed)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{path}: {count} problem{'s' if count != 1 else ''}; not serving.", err=True)
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockserve")
def main() -> None:
    """A declarative HTTP mock server: one YAML file fakes a whole backend."""


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Use 0.0.0.0 to accept other machines.")
@click.option("--port", "-p", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--seed", type=int, default=None,
              help="Make fake data, random choices, delays and faults repeatable "
                   "(overrides settings.seed).")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes serving the port (Unix; only specs without state).")
def run(spec: str, host: str, port: int, seed: int | None, quiet: bool, workers: int) -> None:
    """Serve SPEC until Ctrl-C or SIGTERM."""
    from .app import create_app
    from .server import Server

    loaded = _load(spec, seed)
    if workers > 1:
        _run_workers(loaded, spec, host, port, quiet, workers)
        return
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    app = create_app(loaded)
    try:
        server = Server(app, host=host, port=port)
    except OSError as exc:
        click.echo(f"cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)

    def stop(signum, frame):
        server.stop(wait=False)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    routes = len(loaded.routes)
    click.echo(f"mockserve: serving {loaded.title!r} ({routes} route{'s' * (routes != 1)}) "
               f"on {server.url}  (Ctrl-C to stop)", err=True)
    server.serve()
    click.echo("mockserve: stopped", err=True)


def _run_workers(loaded: Spec, spec: str, host: str, port: int, quiet: bool,
                 workers: int) -> None:
    """`run --workers N`: refuse specs with state (exit 2), else fork N servers."""
    from . import workers as forking
    from .app import create_app
    from .server import Server

    reason = forking.why_not(loaded)
    if reason:
        click.echo(f"{spec}: {reason}.", err=True)
        sys.exit(2)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    app = create_app(loaded)
    try:
        sock = forking.listen(host, port)
    except OSError as exc:
        click.echo(f"cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    bound = sock.getsockname()[1]

    def serve_one() -> None:
        server = Server(app, host=host, port=bound, sock=sock)
        signal.signal(signal.SIGINT, lambda *_: server.stop(wait=False))
        signal.signal(signal.SIGTERM, lambda *_: server.stop(wait=False))
        server.serve()

    shown = f"[{host}]" if ":" in host else host
    routes = len(loaded.routes)
    click.echo(f"mockserve: serving {loaded.title!r} ({routes} route{'s' * (routes != 1)}) "
               f"on http://{shown}:{bound} with {workers} workers  (Ctrl-C to stop)", err=True)
    failed = forking.serve_forked(sock, workers, serve_one)
    click.echo("mockserve: stopped", err=True)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(specs: tuple[str, ...]) -> None:
    """Check each SPEC; exit 0 when all are valid, 2 listing every problem otherwise."""
    failed = False
    for path in specs:
        try:
            loaded = load_spec(path)
        except SpecError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(f"{path}: {count} problem{'s' if count != 1 else ''}", err=True)
            continue
        click.echo(f"{path}: ok ({len(loaded.routes)} routes)")
    sys.exit(2 if failed else 0)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
def routes(spec: str) -> None:
    """List the routes SPEC serves: method, path and name."""
    loaded = _load(spec)
    rows = [(",".join(r.methods), r.path, r.name) for r in loaded.routes]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(("METHOD", "PATH", "NAME"))]
    for row in [("METHOD", "PATH", "NAME"), *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
