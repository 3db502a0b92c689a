"""`mockserve run`: serve a spec until stopped, or while a command runs."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from ..report import plural
from ..spec import Spec
from .admin_access import admin_access, warn_admin
from .common import counts, load, port_option, quiet_option, upstream_ca_option, warn
from .https import https_listeners
from .logs import log_violations_as_such, start_logging
from .record import save_recording, start_recorder
from .serving import (
    never_exercised,
    open_store,
    proxy_notes,
    serve_while,
    stop_after,
    store_shown,
    summary,
    with_upstream,
)
from .workers import run_workers


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


# Every option of `run` can also be set as MOCKSERVE_<OPTION> (MOCKSERVE_PORT=9000).
@click.command(context_settings={"auto_envvar_prefix": "MOCKSERVE"})
@click.argument("spec", type=click.Path(dir_okay=False), envvar="MOCKSERVE_SPEC")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Use 0.0.0.0 to accept other machines (the admin API "
    "still answers this machine only; see --admin-token).",
)
@port_option
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Make fake data, random choices, delays and faults repeatable (overrides settings.seed).",
)
@quiet_option
@click.option(
    "--strict",
    is_flag=True,
    help="For CI: log each request the spec does not cover or that breaks a "
    "contract, list them all when the server stops, and exit 1 if there "
    "was any.",
)
@click.option(
    "--exit-after",
    type=click.IntRange(min=1),
    metavar="N",
    default=None,
    help="Stop after answering N requests (admin requests are not counted).",
)
@click.option(
    "--workers",
    "-w",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes serving the port (Unix; only specs without state, and "
    "not with --strict or --exit-after).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Reload when the spec or a file it names changes; a spec with problems "
    "is reported and the previous version keeps serving. State starts over "
    "at each reload.",
)
@click.option(
    "--admin-token",
    envvar="MOCKSERVE_ADMIN_TOKEN",
    metavar="TOKEN",
    default=None,
    help="Let any client use the admin API with 'Authorization: Bearer TOKEN' "
    "(default: clients on this machine only, without a token). Also MOCKSERVE_ADMIN_TOKEN.",
)
@click.option(
    "--admin-open",
    is_flag=True,
    help="Let any client use the admin API without a token (for a container on a "
    "network of its own).",
)
@click.option(
    "--server",
    type=click.Choice(["auto", "uvicorn", "uvicorn-threads"]),
    default="auto",
    show_default=True,
    help="How answers are served: uvicorn on its event loop (fastest), or in threads "
    "(for answers that wait on the network). auto picks threads when the spec uses a "
    "shared store or an upstream proxy.",
)
# -- HTTPS (see `mockserve cert`) --
@click.option("--https", is_flag=True, help="Serve HTTPS (TLS) on --port instead of HTTP.")
@click.option(
    "--https-port",
    type=click.IntRange(0, 65535),
    metavar="N",
    default=None,
    help="Also serve HTTPS on port N, beside plain HTTP on --port.",
)
@click.option(
    "--cert",
    type=click.Path(dir_okay=False),
    default=None,
    help="Certificate (PEM) to serve over HTTPS, with --key (default: settings.tls, "
    "else one issued by mockserve's local CA).",
)
@click.option("--key", type=click.Path(dir_okay=False), default=None, help="Key of --cert (PEM).")
@click.option(
    "--cert-host",
    "cert_hosts",
    multiple=True,
    metavar="NAME",
    help="Another name the issued certificate is valid for (repeatable).",
)
# -- many processes and machines: a shared store; a command to run against the mock --
@click.option(
    "--store",
    metavar="URL",
    default=None,
    help="Keep state, resources, sequence positions and the journal in Redis or Valkey "
    "(redis://HOST:PORT/DB, unix:///PATH), so workers and instances answer as one server "
    "(default: settings.store, else this process's memory).",
)
@click.option(
    "--store-wait",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Wait up to SECONDS for the store to answer before giving up (a store that "
    "starts beside the mock, as in compose or Kubernetes).",
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="[-- CMD [ARGS]...]")
# -- meeting the real backend (proxy, record) ---
@click.option(
    "--proxy-to",
    metavar="URL",
    default=None,
    help="Forward what the spec does not answer to URL (settings.proxy.to); only URL's "
    "host is ever contacted.",
)
@click.option(
    "--record-into",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record what is forwarded into FILE (routes added to what it holds, which the "
    "spec may include), written when the server stops.",
)
@upstream_ca_option
def run(
    spec: str,
    host: str,
    port: int,
    seed: int | None,
    quiet: bool,
    strict: bool,
    exit_after: int | None,
    workers: int,
    watch: bool,
    admin_token: str | None,
    admin_open: bool,
    server: str = "auto",
    https: bool = False,
    https_port: int | None = None,
    cert: str | None = None,
    key: str | None = None,
    cert_hosts: tuple[str, ...] = (),
    store: str | None = None,
    store_wait: float = 0.0,
    command: tuple[str, ...] = (),
    proxy_to: str | None = None,
    record_into: str | None = None,
    upstream_ca: str | None = None,
) -> None:
    """Serve SPEC until stopped, or while `-- CMD ARGS` runs.

    It stops on Ctrl-C or SIGTERM, on POST /__mockserve/shutdown, or after the
    requests --exit-after asks for. With --strict the exit status is the verdict: 1
    if any request was not covered by the spec or broke a contract, 0 otherwise.

    With `-- CMD ARGS`, it serves until CMD (run with MOCKSERVE_URL set) ends, and
    exits with CMD's code (or 1 with --strict violations when CMD succeeded).

    Every option can also be set as MOCKSERVE_<OPTION>, e.g. MOCKSERVE_PORT=9000,
    MOCKSERVE_STORE=redis://redis:6379/0, and SPEC as MOCKSERVE_SPEC.
    """
    # First thing: SIGTERM ends the process while it is still loading (as PID 1 in a
    # container, a signal without a handler would be ignored); serving replaces it.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    from ..app import create_app
    from ..serve import CannotListen, Runner
    from ..serve.choice import choose

    if watch and (strict or exit_after or workers > 1):
        raise click.UsageError(
            "--watch is for editing a spec while it serves; it does not "
            "combine with --strict, --exit-after or --workers"
        )
    if command and (workers > 1 or watch):
        raise click.UsageError("-- CMD serves with one process, without --watch")
    if watch and store:
        raise click.UsageError("--watch starts state over at each reload; not with --store")
    loaded = load(spec, seed, lazy=True)
    loaded = with_upstream(loaded, proxy_to, upstream_ca)
    if record_into is not None and (watch or workers > 1):
        raise click.UsageError("--record-into does not combine with --watch or --workers")
    if proxy_to is not None and watch:  # a reload would drop it: say so rather than lose it
        raise click.UsageError("--proxy-to does not combine with --watch; use settings.proxy.to")
    if upstream_ca is not None and watch:
        raise click.UsageError("--upstream-ca does not combine with --watch; use settings.proxy.ca")
    if record_into is not None and (loaded.settings.proxy is None or not loaded.settings.proxy.to):
        raise click.UsageError("--record-into records what is forwarded: give --proxy-to URL")
    access = admin_access(host, admin_token, admin_open)
    if https and https_port is not None:
        raise click.UsageError(
            "--https serves HTTPS on --port; --https-port N serves it on N beside HTTP on "
            "--port: give one of them"
        )
    if workers > 1 and (https or https_port is not None):
        raise click.UsageError("--https and --https-port serve from one process (no --workers)")
    stores = open_store(loaded, store, store_wait)
    if workers > 1:
        journal_options = tuple(
            name for name, used in (("--strict", strict), ("--exit-after", exit_after)) if used
        )
        run_workers(
            loaded, spec, host, port, quiet, workers, access, journal_options, stores, server
        )
        return
    app = create_app(loaded, access=access, stores=stores)
    mock = app.extensions["mockserve"]
    recorder = start_recorder(app, record_into, main=False)
    choice = choose(app, server)
    listeners = https_listeners(
        loaded,
        mock,
        host,
        https,
        https_port,
        cert,
        key,
        cert_hosts,
        lambda tls: choose(app, server, tls).factory,
    )
    try:
        runner = Runner(app, host=host, port=port, **{"backend": choice.factory, **listeners})
    except CannotListen as exc:  # names the port, --port's or --https-port's
        click.echo(str(exc), err=True)
        sys.exit(1)
    except (OSError, ValueError) as exc:  # a ValueError for a host it cannot resolve
        reason = getattr(exc, "strerror", None) or exc
        click.echo(f"cannot listen on {host}:{port}: {reason}", err=True)
        sys.exit(1)
    stop_logging = start_logging(quiet)
    if strict:
        log_violations_as_such()
    else:  # each request's log line says why it missed; no second line for it
        logging.getLogger("mockserve.violations").setLevel(logging.ERROR)

    def stop(signum: object = None, frame: object = None) -> None:
        runner.stop_soon()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if exit_after is not None:
        mock.listen(stop_after(exit_after, stop))
    notes = [choice.describe()] + (["strict"] if strict else [])
    if stores.shared:
        notes.append(f"store {store_shown(store or loaded.settings.store)}")
    notes += proxy_notes(loaded)
    if recorder is not None:
        notes.append(f"recording into {record_into}")
    if exit_after is not None:
        notes.append(f"stops after {plural(exit_after, 'request')}")
    reloader = None
    if watch:
        from ..reload import Reloader

        def serve_reloaded(new_app: Any, new_spec: Spec) -> None:
            runner.swap(new_app)
            warn(spec, new_spec.warnings)
            click.echo(
                f"mockserve: reloaded {spec} ({counts(new_spec)}); state starts over", err=True
            )

        reloader = Reloader(
            spec,
            loaded,
            seed=seed,
            access=access,
            on_reload=serve_reloaded,
            report=lambda text: click.echo(text, err=True),
        ).start()
        notes.append("watching for changes")
    click.echo(
        f"mockserve: serving {loaded.title!r} ({counts(loaded)}) "
        f"on {' and '.join(runner.urls)}  ({'; '.join(notes + ['Ctrl-C to stop'])})",
        err=True,
    )
    warn_admin(host, access)
    code = 0
    if command:
        code = serve_while(runner, command, mock.spec.settings.admin, access)
    else:
        runner.serve()
    stop_logging()  # every line written before the summary
    if reloader is not None:
        reloader.stop()
    if recorder is not None:
        save_recording(recorder)
    journal = runner.mock.stores.journal
    violations = journal.violations()
    unexercised = never_exercised(runner.app) if strict else []
    if strict:
        click.echo(summary(violations, journal.requests_seen))
        for line in unexercised:
            click.echo(line)
    click.echo("mockserve: stopped", err=True)
    sys.exit(code or (1 if strict and (violations or unexercised) else 0))
