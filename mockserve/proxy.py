"""Meet the real backend: forward requests to the one upstream named in `settings.proxy.to`.

The proxy is a renderer of the exchange (WireMock's ProxyResponseRenderer beside the stub
renderer): a route's `response: {proxy: true}` answers through it, `when: unmatched` puts
it in front of the near-miss 404 as a fallback, and `when: always` answers every request
before the spec's own answers (after the matched route's contract checks: a 422 is never
forwarded). The upstream's status, headers (less hop-by-hop ones) and body come back
unchanged and streamed; an unreachable upstream is a 502, a slow one a 504.

Only the configured host is ever contacted: the URL is built from the base URL's scheme
and host and the request's path, never parsed from what the client sent.
"""

from __future__ import annotations

import dataclasses
import http.cookiejar
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from flask import Flask, request
from requests.adapters import HTTPAdapter
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from .errors import Problem
from .exchange import Exchange, current_exchange
from .pipeline import has_body
from .segments import ENCODED_SLASH
from .spec.model import Proxy, Spec
from .tls import upstream_trust

if TYPE_CHECKING:
    from .mock import Mock

log = logging.getLogger("mockserve")

# Headers of one connection, not of the message: never passed on, either way (RFC 9110 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "te", "trailer", "trailers", "transfer-encoding", "upgrade"}
)
# The client's framing and the client's idea of the host are not the upstream's.
NOT_FORWARDED = frozenset({"host", "content-length"})
BUFFERED = 64 * 1024  # answers up to this size (by Content-Length) are read whole
CHUNK = 64 * 1024
EXTENSION = "mockserve_upstream"  # app.extensions key of the installed Upstream


@dataclass
class Capture:
    """What the upstream answered, the body whole and as sent (for the recorder)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytearray = field(default_factory=bytearray)
    done: threading.Event = field(default_factory=threading.Event)
    complete: bool = False  # False when the stream broke off before its end

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


def hop_by_hop(headers: list[tuple[str, str]]) -> set[str]:
    """The header names (lower case) that belong to one connection: fixed ones and those
    named in `Connection`."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return set(HOP_BY_HOP) | named


def end_to_end(headers: list[tuple[str, str]], *, drop: frozenset[str] = frozenset()) -> list:
    """`headers` less hop-by-hop ones (and `Proxy-*`) and those in `drop` (lower case)."""
    connection = hop_by_hop(headers)
    return [
        (name, value)
        for name, value in headers
        if (low := name.lower()) not in connection
        and not low.startswith("proxy-")
        and low not in drop
    ]


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The pooled session serves every client: it must never keep one client's cookies."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False


def _session(trust: str | bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no HTTP_PROXY or .netrc from the environment
    session.verify = trust  # the CA bundle it names is read, though: see upstream_trust
    session.headers.clear()  # the client's headers, not requests' defaults
    session.cookies.set_policy(_NoCookies())
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Upstream:
    """The real backend behind the mock: one base URL, one pooled session."""

    def __init__(self, settings: Proxy):
        if not settings.to:
            raise ValueError("settings.proxy.to is not set")
        base = urlsplit(settings.to)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"the upstream must be an http(s) URL, got {settings.to!r}")
        self.settings = settings
        self.scheme = base.scheme
        self.netloc = base.netloc
        self.base_path = base.path.rstrip("/")
        self.timeout = settings.timeout / 1000.0
        self.keep_bodies = False  # set by a recorder: keep each answer whole on its exchange
        self.removed = frozenset(h.lower() for h in settings.remove_headers) | NOT_FORWARDED
        self.trust = upstream_trust(settings.ca)
        self.session = _session(self.trust)

    @property
    def url(self) -> str:
        return urlunsplit((self.scheme, self.netloc, self.base_path, "", ""))

    def target(self, path: str, query: str = "") -> str:
        """The upstream URL for a request path: always this upstream's scheme and host.

        The path is only ever a path here: `//other.host/x` or `http://other.host/x` in it
        stay path segments under the base URL.
        """
        prefix = self.settings.strip_prefix
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix) :] or "/"
        path = remove_dot_segments(path if path.startswith("/") else "/" + path)
        # Segment by segment: a slash the client sent encoded (`a%2Fb`) stays encoded.
        quoted = "/".join(
            quote(segment.replace(ENCODED_SLASH, "/"), safe=":@!$&'()*+,;=~")
            for segment in path.split("/")
        )
        return urlunsplit((self.scheme, self.netloc, self.base_path + quoted, query, ""))

    def forward(self, exchange: Exchange) -> Response:
        """Send the exchange's request upstream; its answer, streamed (a Problem on failure)."""
        req = exchange.request
        url = self.target(req.path, req.query_string.decode("latin-1"))
        sent = end_to_end(list(req.headers.items()), drop=self.removed)
        sent += list(self.settings.headers)
        body = req.get_data(cache=True) if has_body(req) else None
        exchange.extra["proxied"] = True
        started = time.perf_counter()
        prepared = requests.Request(req.method, url, headers=_merged(sent), data=body)
        try:
            # Sent by the adapter, not `session.request`: the session reads a redirect's
            # body to free the connection, and its bytes as sent would be gone.
            answer = self.session.get_adapter(url).send(
                self.session.prepare_request(prepared),
                stream=True,
                timeout=(self.timeout, self.timeout),
                verify=self.trust,
            )
        except requests.RequestException as exc:
            self._failed(exchange, started, exc)
            if isinstance(exc, requests.Timeout):
                waited = f"{self.timeout * 1000:g} ms"
                status, message = 504, f"the upstream {self.url} did not answer within {waited}"
            else:
                status, message = (
                    502,
                    f"the upstream {self.url} is unreachable: {failure_reason(exc)}",
                )
            raise Problem(
                status, message, route=exchange.route, errors=[{"message": message}]
            ) from None
        exchange.extra["upstream"] = {
            "status": answer.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        return self._answer(exchange, answer)

    def _failed(self, exchange: Exchange, started: float, exc: Exception) -> None:
        duration = round((time.perf_counter() - started) * 1000, 3)
        exchange.extra["upstream"] = {"status": None, "duration_ms": duration}
        log.warning(
            "upstream %s: %s %s failed: %s",
            self.url,
            exchange.request.method,
            exchange.request.path,
            failure_reason(exc),
        )

    def _answer(self, exchange: Exchange, answer: requests.Response) -> Response:
        raw = answer.raw
        headers = end_to_end(list(raw.headers.items()))
        capture = Capture(answer.status_code, headers) if self.keep_bodies else None
        exchange.upstream = capture
        length = answer.headers.get("Content-Length", "")
        small = length.isdigit() and int(length) <= BUFFERED
        status = f"{answer.status_code} {answer.reason or ''}".strip()
        if small and exchange.request.method != "HEAD":
            # Read whole: the journal shows it, and a pooled connection is free at once.
            try:
                data = raw.read(decode_content=False)
            except Exception as exc:  # noqa: BLE001 - the upstream broke off mid-answer
                message = f"the upstream {self.url} broke off its answer: {failure_reason(exc)}"
                errors = [{"message": message}]
                raise Problem(502, message, route=exchange.route, errors=errors) from None
            finally:
                answer.close()
            if capture is not None:
                capture.body += data
                capture.complete = True
                capture.done.set()
            response = Response(data, status=status)
        else:
            response = Response(_relay(answer, capture), status=status, direct_passthrough=True)
            response.call_on_close(answer.close)
        response.headers = Headers(headers)
        return response


def remove_dot_segments(path: str) -> str:
    """`/a/../b` -> `/b` (RFC 3986 5.2.4), never above `/`: a path stays under the base URL.

    Left in, `..` would be resolved by the HTTP client, out of the base URL's path.
    """
    kept: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                kept.append("")
        elif segment == "..":
            if kept:
                kept.pop()
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(kept)


def _relay(answer: requests.Response, capture: Capture | None) -> Iterator[bytes]:
    """The upstream's body as it arrives, bytes as sent (compressed stays compressed).

    Each chunk is read before the previous one is passed on, so the capture is complete
    before the client has the last byte.
    """
    chunks = answer.raw.stream(CHUNK, decode_content=False)
    try:
        chunk = next(chunks, None)
        while chunk is not None:
            following = next(chunks, None)
            if capture is not None:
                capture.body += chunk
                if following is None:
                    capture.complete = True
                    capture.done.set()
            yield chunk
            chunk = following
    except Exception as exc:  # noqa: BLE001 - the status is sent; all we can do is stop
        log.warning("the upstream broke off a streamed answer: %s", failure_reason(exc))
    finally:
        if capture is not None:
            capture.done.set()
        answer.close()


def _merged(headers: list[tuple[str, str]]) -> dict[str, str]:
    """requests takes a dict: a header given twice is sent once, its values joined."""
    merged: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in spelled:
            joiner = "; " if key == "cookie" else ", "
            merged[spelled[key]] += joiner + value
        else:
            spelled[key] = name
            merged[name] = value
    return merged


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_UNTRUSTED = re.compile(r"certificate verify failed: ([^'\"()]+)")


def failure_reason(exc: BaseException) -> str:
    """A short why: `connection refused`, not urllib3's three nested reprs."""
    text = str(exc)
    untrusted = _UNTRUSTED.search(text)
    if untrusted:
        why = untrusted.group(1).strip()
        return f"its certificate is not trusted ({why}; --upstream-ca FILE trusts its CA)"
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip().rstrip(".").lower()
    if "Read timed out" in text or "timed out" in text:
        return "timed out"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def with_upstream(spec: Spec, url: str | None, ca: str | None = None) -> Spec:
    """`run --proxy-to URL --upstream-ca FILE`: the spec with `settings.proxy.to` (and
    `.ca`) set to them, where given."""
    proxy = spec.settings.proxy or Proxy()
    proxy = dataclasses.replace(proxy, to=url or proxy.to, ca=ca or proxy.ca)
    settings = dataclasses.replace(spec.settings, proxy=proxy)
    return dataclasses.replace(spec, settings=settings)


def install_proxy(app: Flask, mock: Mock) -> Upstream | None:
    """Wire the upstream in, as `settings.proxy` says: a renderer, a fallback, or in front."""
    settings = mock.spec.settings.proxy
    if settings is None or not settings.to:
        return None
    upstream = Upstream(settings)
    pipeline = mock.pipeline
    pipeline.upstream = upstream.forward
    app.extensions[EXTENSION] = upstream
    if settings.when != "always":
        pipeline.fallbacks.insert(0, upstream.forward)
        return upstream
    routes = {route.name: route for route in mock.spec.routes}

    @app.before_request
    def _forward_all() -> Response | None:
        exchange = current_exchange()
        if exchange.admin:
            return None
        rule = request.url_rule
        route = routes.get(rule.endpoint) if rule is not None else None
        if route is not None:  # its contract first: a 422 is never forwarded
            exchange.route = route.name
            pipeline.check(route, exchange, dict(request.view_args or {}))
        return upstream.forward(exchange)

    return upstream
