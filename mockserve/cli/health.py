"""`health` and `wait`: is a mock up? For container health checks and scripts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

DEFAULT_ADMIN = "/__mockserve"


_TRUE = ("1", "true", "yes", "on")


def _default_url() -> str:
    """This machine's server as `run` starts it from the environment (as in a container)."""
    https = os.environ.get("MOCKSERVE_HTTPS", "").lower() in _TRUE
    scheme = "https" if https else "http"
    return f"{scheme}://127.0.0.1:{os.environ.get('MOCKSERVE_PORT', '8000')}"


def _spec_admin(path: str) -> str | None:
    """The admin path `settings.admin` of the spec at `path` (None: the admin API is off).

    Read from the document alone (an OpenAPI document keeps the default): a health check
    runs every few seconds and must not compile the spec each time.
    """
    from ..spec.source import parse_yaml_cached

    try:
        data = parse_yaml_cached(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        click.echo(f"mockserve: cannot read the spec {path}: {exc}", err=True)
        sys.exit(1)
    settings = data.get("settings") if isinstance(data, dict) and "mockserve" in data else None
    admin = settings.get("admin", DEFAULT_ADMIN) if isinstance(settings, dict) else DEFAULT_ADMIN
    return admin.rstrip("/") if isinstance(admin, str) else None


def _admin(admin: str | None, spec: str | None) -> str | None:
    if admin is not None:
        return admin.rstrip("/")
    return _spec_admin(spec) if spec else DEFAULT_ADMIN


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
    "--admin",
    metavar="PATH",
    default=None,
    help="The mock's settings.admin path (default: the --spec's, else /__mockserve).",
)
_spec_option = click.option(
    "--spec",
    envvar="MOCKSERVE_SPEC",
    metavar="FILE",
    default=None,
    help="The spec the mock serves, for its admin path (settings.admin). Also MOCKSERVE_SPEC.",
)


@click.command()
@_url_argument
@_admin_token_option
@_admin_path_option
@_spec_option
def health(url: str | None, admin_token: str | None, admin: str | None, spec: str | None) -> None:
    """Exit 0 when the mock at URL answers its health check, else 1 saying why.

    URL defaults to the server `mockserve run` starts from the same environment (a
    container's): http://127.0.0.1:$MOCKSERVE_PORT (8000), https:// when MOCKSERVE_HTTPS
    is set (its certificate is not checked on this machine), at the admin path of
    MOCKSERVE_SPEC. With the admin API off, any HTTP answer counts.
    """
    from ..serve import probe

    why = probe.health(_url(url), admin=_admin(admin, spec), token=admin_token)
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
@_spec_option
def wait(
    url: str | None, timeout: float, admin_token: str | None, admin: str | None, spec: str | None
) -> None:
    """Wait until the mock at URL answers its health check: exit 0, or 1 after --timeout."""
    from ..serve import probe

    why = probe.wait(_url(url), timeout, admin=_admin(admin, spec), token=admin_token)
    if isinstance(why, probe.Refused):  # waiting longer would not change it
        click.echo(f"mockserve: {why}", err=True)
        sys.exit(1)
    if why is not None:
        click.echo(f"mockserve: gave up after {timeout:g} s: {why}", err=True)
        sys.exit(1)
    click.echo("ok")
