"""What several commands share: loading a spec or exiting 2, its warnings, URL and port options."""

from __future__ import annotations

import sys

import click

from ..errors import SpecError, SpecWarning
from ..loading import load_spec
from ..report import plural
from ..spec import Spec


def load(path: str, seed: int | None = None, *, lazy: bool = False) -> Spec:
    """Load a spec or exit 2 after printing every problem (never a traceback).

    `lazy` (for serving): an OpenAPI document's routes compile on their first request.
    """
    try:
        spec = load_spec(path, seed=seed, lazy=lazy)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{path}: {plural(count, 'problem')}; not serving.", err=True)
        sys.exit(2)
    warn(path, spec.warnings)
    return spec


def warn(path: str, warnings: tuple[str | SpecWarning, ...] | list[str]) -> None:
    """What a spec (or OpenAPI document) declares but mockserve does not do, said once."""
    for warning in warnings:
        located = isinstance(warning, SpecWarning)  # FILE:LINE:COL: WHERE: warning: ...
        click.echo(str(warning) if located else f"{path}: warning: {warning}", err=True)


def counts(spec: Spec) -> str:
    """`3 routes, 1 resource`: what a spec serves, in words."""
    if spec.pact is not None:
        return plural(len(spec.pact.served), "interaction")
    routes, resources = len(spec.routes), len(spec.resources)
    text = plural(routes, "route")
    text += f", {plural(resources, 'resource')}" if resources else ""
    text += f", {plural(len(spec.websockets), 'websocket')}" if spec.websockets else ""
    return text + (f", {plural(len(spec.graphql), 'GraphQL endpoint')}" if spec.graphql else "")


def http_url(url: str, param_hint: str) -> str:
    """`url` if it is an http(s) URL with a host, else a usage error naming the parameter."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint=param_hint)
    return url


# Options that `run` and `record` (which serves a proxy) share.
port_option = click.option(
    "--port",
    "-p",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")


upstream_ca_option = click.option(
    "--upstream-ca",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    metavar="FILE",
    help="CA certificates (PEM) to trust for an HTTPS upstream signed by a private CA "
    "(default: settings.proxy.ca, else REQUESTS_CA_BUNDLE or SSL_CERT_FILE, else the "
    "public CAs).",
)
