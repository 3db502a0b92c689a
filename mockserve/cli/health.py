"""`health` and `wait`: is a mock up? For container health checks and scripts."""

from __future__ import annotations

import os
import sys

import click


def _default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('MOCKSERVE_PORT', '8000')}"


def _url(url: str | None) -> str:
    """URL, or the default; a usage error (exit 2) when it is not an http(s) URL."""
    from .common import http_url

    return http_url(url, "URL") if url is not None else _default_url()


_url_argument = click.argument("url", required=False)
_admin_token_option = click.option(
    "--admin-token",
    envvar="MOCKSERVE_ADMIN_TOKEN",
    metavar="TOKEN",
    default=None,
    help="The token the mock's admin API asks for. Also MOCKSERVE_ADMIN_TOKEN.",
)
_admin_path_option = click.option(
    "--admin", default="/__mockserve", show_default=True, help="The mock's settings.admin path."
)


@click.command()
@_url_argument
@_admin_token_option
@_admin_path_option
def health(url: str | None, admin_token: str | None, admin: str) -> None:
    """Exit 0 when the mock at URL answers its health check, else 1 saying why.

    URL defaults to http://127.0.0.1:$MOCKSERVE_PORT (8000): the container's own server.
    """
    from ..serve import probe

    why = probe.health(_url(url), admin=admin, token=admin_token)
    if why is not None:
        click.echo(f"mockserve: {why}", err=True)
        sys.exit(1)
    click.echo("ok")


@click.command()
@_url_argument
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    metavar="S",
    help="Give up after S seconds.",
)
@_admin_token_option
@_admin_path_option
def wait(url: str | None, timeout: float, admin_token: str | None, admin: str) -> None:
    """Wait until the mock at URL answers its health check: exit 0, or 1 after --timeout."""
    from ..serve import probe

    why = probe.wait(_url(url), timeout, admin=admin, token=admin_token)
    if isinstance(why, probe.Refused):  # waiting longer would not change it
        click.echo(f"mockserve: {why}", err=True)
        sys.exit(1)
    if why is not None:
        click.echo(f"mockserve: gave up after {timeout:g} s: {why}", err=True)
        sys.exit(1)
    click.echo("ok")
