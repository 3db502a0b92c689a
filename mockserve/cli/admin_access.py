"""Who may use the admin API, from --admin-token and --admin-open, and saying so at start."""

from __future__ import annotations

from typing import Any

import click


def admin_access(host: str, token: str | None, open_: bool) -> Any:
    """Who may use the admin API, from --admin-token / --admin-open."""
    from ..mock import AdminAccess

    if token is not None and not token.strip():
        raise click.BadParameter("must not be empty", param_hint="--admin-token")
    return AdminAccess(token=token, open=open_ and token is None)


def _names_this_machine(host: str) -> bool:
    """True for a --host that only this machine reaches (127.0.0.1, ::1, localhost)."""
    from ..access import is_loopback

    return host == "localhost" or is_loopback(host.strip("[]"))


def warn_admin(host: str, access: Any) -> None:
    """Say who may use the admin API when the server is reachable from elsewhere."""
    if access.token is not None:
        return
    if access.open:
        click.echo(
            "mockserve: warning: --admin-open: any client that reaches this server may read "
            "the journal, reset the mock and shut it down",
            err=True,
        )
    elif not _names_this_machine(host):
        click.echo(
            f"mockserve: warning: serving on {host}, but the admin API answers clients on this "
            "machine only; use --admin-token TOKEN to reach it from elsewhere",
            err=True,
        )
