"""Is a mock up? Its health check, asked once or until it answers.

Used by `mockserve health` (the container's health check: the image needs no curl),
`mockserve wait`, and `mockserve run -- CMD` before it starts CMD.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

HEALTH = "/health"
POLL_SECONDS = 0.05
# The mock is asked directly, whatever proxy the environment names.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Refused(str):
    """Why not, when asking again cannot change it (a wrong token, a refused client)."""


def _error_of(exc: urllib.error.HTTPError) -> str:
    """The `error` of a mockserve JSON error answer, or its first bytes."""
    body = exc.read(2000)
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return repr(body[:100])


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _opener(url: str) -> urllib.request.OpenerDirector:
    """Over HTTPS on this machine the question is "is it up?", not "whose certificate?".

    A mock's certificate is issued by a local CA that the asking process may not trust
    (a container's health check); another machine's certificate is checked as usual.
    """
    if not (url.startswith("https:") and _loopback(url)):
        return _OPENER
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )


def health(url: str, *, admin: str | None = "/__mockserve", token: str | None = None) -> str | None:
    """None when the mock at `url` answers its health check with ok, else why not.

    With the admin API off (`admin=None`) any HTTP answer at `url` counts as up.
    """
    target = url.rstrip("/") + (admin + HEALTH if admin else "/")
    headers = {"Authorization": f"Bearer {token}"} if token and admin else {}
    asked = urllib.request.Request(target, headers=headers)
    try:
        with _opener(url).open(asked, timeout=2) as answer:
            body = answer.read()
    except urllib.error.HTTPError as exc:
        if admin is None:
            return None
        if exc.code == 401:
            why = "the admin token is wrong" if token else "the admin API needs a token"
            return Refused(f"{target} answered 401: {why} (--admin-token or MOCKSERVE_ADMIN_TOKEN)")
        if exc.code == 403:
            return Refused(f"{target} answered 403: {_error_of(exc)}")
        return f"{target} answered {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return f"{target} does not answer: {reason}"
    if admin is None:
        return None
    try:
        status = json.loads(body).get("status")
    except (ValueError, AttributeError):
        status = None
    return None if status == "ok" else f"{target} answered {body[:100]!r}, not status ok"


def wait(
    url: str,
    timeout: float,
    *,
    admin: str | None = "/__mockserve",
    token: str | None = None,
    stop: threading.Event | None = None,
) -> str | None:
    """Ask `health` until it says ok (None), refuses (`Refused`), or `timeout` seconds
    pass (the last reason)."""
    deadline = time.monotonic() + timeout
    stop = stop or threading.Event()
    while True:
        why = health(url, admin=admin, token=token)
        if why is None or isinstance(why, Refused) or time.monotonic() >= deadline:
            return why
        if stop.wait(POLL_SECONDS):
            return why
