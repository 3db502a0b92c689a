"""`mockserve record`, and the recording that `run --record-into` shares with it."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from ..report import plural
from .common import http_url, port_option, quiet_option, upstream_ca_option
from .logs import start_logging


def start_recorder(app: Any, output: str | None, *, main: bool, redact: str = "") -> Any:
    """Start recording what `app` forwards into `output` (None: not recording)."""
    if output is None:
        return None
    from ..record.recorder import start_recording

    try:
        return start_recording(
            app, output, main=main, redact=[h for h in redact.split(",") if h.strip()]
        )
    except ValueError as exc:
        raise click.UsageError(f"cannot record: {exc}") from None


def save_recording(recorder: Any) -> None:
    """Write the recording and say what was written (exit 1 when the file cannot be)."""
    try:
        saved = recorder.save()
    except (OSError, ValueError) as exc:
        click.echo(f"{recorder.output}: cannot write the recording: {exc}", err=True)
        sys.exit(1)
    for note in saved["notes"]:
        click.echo(f"mockserve: note: {note}", err=True)
    fixtures = f", {plural(saved['fixtures'], 'fixture')}" if saved["fixtures"] else ""
    click.echo(
        f"{saved['file']}: written ({plural(saved['routes'], 'new route')}{fixtures})", err=True
    )


@click.command()
@click.argument("url")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="The spec to write (YAML); routes are added to one that exists.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@port_option
@click.option(
    "--redact",
    metavar="NAME,...",
    default="",
    help="Write these headers, query parameters and JSON or form body fields (any depth, "
    "either way) as <redacted> (Authorization, Cookie and Set-Cookie always are).",
)
@upstream_ca_option
@quiet_option
def record(
    url: str, output: str, host: str, port: int, redact: str, upstream_ca: str | None, quiet: bool
) -> None:
    """Serve a proxy to URL and write what it saw into OUTPUT as a spec.

    OUTPUT is written when the server stops (Ctrl-C, SIGTERM, POST
    /__mockserve/shutdown) and on POST /__mockserve/record/save; `mockserve run
    OUTPUT` then answers the same without URL.
    """
    from ..app import create_app
    from ..record.recorder import recording_spec
    from ..serve import Runner

    app = create_app(recording_spec(http_url(url, "URL"), ca=upstream_ca))
    recorder = start_recorder(app, output, main=True, redact=redact)
    try:
        runner = Runner(app, host=host, port=port)
    except (OSError, ValueError) as exc:
        click.echo(
            f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}", err=True
        )
        sys.exit(1)
    stop_logging = start_logging(quiet)
    logging.getLogger("mockserve.violations").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, lambda *_: runner.stop_soon())
    signal.signal(signal.SIGTERM, lambda *_: runner.stop_soon())
    click.echo(
        f"mockserve: serving a recorder of {url} on {runner.url}  (writes {output} when "
        "stopped, or on POST /__mockserve/record/save; Ctrl-C to stop)",
        err=True,
    )
    runner.serve()
    stop_logging()
    save_recording(recorder)
    click.echo("mockserve: stopped", err=True)
