"""Who may use the admin API (and what hangs under it): the one access rule.

Clients on this machine only, unless a token is set (then every request must carry it,
from anywhere) or the API was opened on purpose; never a web page of another site, and
never a request for a host name that does not name this machine (DNS rebinding).
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import socket
from typing import Any

from .errors import Problem
from .mock import Mock

BLUEPRINT = "mockserve_admin"


def guard(mock: Mock, req: Any) -> None:
    """Refuse admin requests from other machines (without the token) and from web pages."""
    access = mock.access
    site = req.headers.get("Sec-Fetch-Site")
    origin = req.headers.get("Origin")
    if site == "cross-site" or (origin and origin.rstrip("/") != req.host_url.rstrip("/")):
        raise Problem(
            403,
            "the admin API refuses requests from web pages of other sites "
            f"(Origin {origin or '-'}, Sec-Fetch-Site {site or '-'})",
        )
    if (req.endpoint or "").startswith(f"{BLUEPRINT}.journal_page_"):
        return  # the page's own files hold no data: its requests for data carry the token
    if access.token is not None:
        scheme, _, given = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), access.token.encode()
        ):
            raise Problem(
                401,
                "the admin API needs 'Authorization: Bearer TOKEN' (the --admin-token)",
                headers={"WWW-Authenticate": 'Bearer realm="mockserve admin"'},
            )
        return
    if access.open:
        return
    if not is_loopback(req.remote_addr) or not names_loopback(req.host):
        raise Problem(
            403,
            "the admin API answers clients on this machine only; "
            "start with --admin-token TOKEN (or --admin-open) to let others in",
        )


def is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def names_loopback(host: str) -> bool:
    """True when the Host header names this machine (a page on a rebound name does not):
    localhost, a loopback address, or the machine's own host name (`curl $(hostname):8000`)."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower().rstrip(".")
    return (
        name == "localhost"
        or name.endswith(".localhost")
        or is_loopback(name)
        or name in own_names()
    )


@functools.lru_cache(maxsize=1)
def own_names() -> frozenset[str]:
    """This machine's host name (short and as configured); asked once, no DNS lookup.

    A web page cannot make a browser send it for a rebound address of its own site.
    """
    name = socket.gethostname().lower().rstrip(".")
    return frozenset({name, name.split(".")[0]} - {""})
