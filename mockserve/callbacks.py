"""Callbacks and webhooks: requests the mock sends after an answer, never in its way.

A listener of finished exchanges renders a route's callbacks while the request is still
at hand (its templates see the request, `response`, `state` and the helpers) and hands
them to a scheduler: one thread that keeps the due times, and senders per receiver (its
scheme, host and port), a few at a time each, so a receiver that hangs holds up only its
own callbacks.
The client's answer is never delayed or changed. Each attempt is recorded, never raised;
a reset cancels what is pending, and a stopping server waits for it a few seconds.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import itertools
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import TemplateRenderError
from .exchange import Exchange
from .journal import Entry
from .mock import Mock
from .responses import delay_seconds
from .spec.model import Callback

log = logging.getLogger("mockserve.callbacks")

DEPTH_HEADER = "X-Mockserve-Callback-Depth"
MAX_DEPTH = 10  # a chain of mocks calling each other back stops here
CLOSE_SECONDS = 5  # how long a stopping server waits for pending callbacks
SENDERS = 4  # callbacks sent at once to one receiver (scheme, host and port)
MAX_PENDING = 1000  # chains waiting; more are refused (and recorded) rather than piled up
LOG_SIZE = 1000  # attempts kept for GET /callbacks


@dataclass(frozen=True)
class Attempt:
    """One try at sending a callback, as `GET /__mockserve/callbacks` lists it."""

    time: str
    route: str | None
    name: str
    url: str
    method: str
    status: int | None  # None: no answer (connection error, timeout, not sent)
    attempts: int  # this attempt's number: 1, then 2 on the first retry, ...
    error: str | None
    duration_ms: float

    @property
    def sent(self) -> bool:
        """Delivered: answered with a status that is not retried (below 500)."""
        return self.status is not None and self.status < 500

    def as_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "route": self.route,
            "name": self.name,
            "url": self.url,
            "method": self.method,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "duration_ms": self.duration_ms,
        }


@dataclass
class _Request:
    """A callback rendered and ready to send."""

    callback: Callback
    url: str
    headers: dict[str, str]
    body: bytes | None
    pause: float  # seconds to wait before the first attempt


@dataclass
class _Chain:
    """A route's callbacks for one answer, sent one after another."""

    route: str | None
    requests: list[_Request]
    generation: int
    index: int = 0
    attempt: int = 1

    @property
    def current(self) -> _Request:
        return self.requests[self.index]


@dataclass
class _Lane:
    """The chains due at one receiver, and how many senders work on them."""

    due: deque[_Chain] = field(default_factory=deque)
    senders: int = 0


def _receiver(url: str) -> str:
    """Who a callback goes to: scheme, host and port (what one hanging server holds up)."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower()
    except ValueError:
        return ""


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    chain: _Chain = field(compare=False)


class Callbacks:
    """Sends one mock's callbacks and webhooks, and remembers every attempt."""

    def __init__(self, mock: Mock, send: Callable[..., Any] | None = None):
        self.mock = mock
        self._send = send or _send_with_requests
        # A route not compiled yet (served lazily) may have callbacks: its are read when it
        # has answered.
        self.routes = {route.name: route for route in mock.spec.routes if route.may_call_back}
        self._lock = threading.Condition()
        self._heap: list[_Due] = []
        self._seq = itertools.count()
        self._pending: set[int] = set()  # ids of live chains (scheduled or being sent)
        self._generation = 0
        self._log: list[Attempt] = []
        self._thread: threading.Thread | None = None
        self._lanes: dict[str, _Lane] = {}  # per receiver: chains due, senders at work

    # -- what the mock asks ----------------------------------------------------------

    def listener(self, exchange: Exchange, entry: Entry) -> None:
        """Schedule the callbacks of the route that answered (its own answer, not an error)."""
        route = self.routes.get(exchange.route or "")
        if route is None or exchange.violation is not None or exchange.status is None:
            return
        if not route.callbacks:
            return
        request = exchange.request
        pipeline = self.mock.pipeline
        context = dict(exchange.context or pipeline.context(request, dict(request.view_args or {})))
        answer = entry.response.as_json() if entry.response is not None else {}
        body = answer.get("body")
        context["response"] = {
            "status": exchange.status,
            "headers": answer.get("headers", {}),
            "json": body if not isinstance(body, str) else None,
            "body": body if isinstance(body, str) else None,
        }
        context["state"] = self.mock.stores.state.snapshot()
        depth = _depth(request.headers.get(DEPTH_HEADER)) + 1
        self._schedule(route.name, route.callbacks, context, depth)

    def fire_webhook(self, name: str, url: str) -> None:
        """Send the webhook `name` to `url` (the admin API's POST /webhooks/NAME)."""
        hook = self.mock.spec.webhooks[name]
        context = {"state": self.mock.stores.state.snapshot(), **self.mock.pipeline.helper_names}
        self._schedule(None, (hook,), context, 1, url=url)

    def attempts(self) -> list[Attempt]:
        """Every attempt so far, oldest first."""
        with self._lock:
            return list(self._log)

    @property
    def pending(self) -> int:
        """Chains of callbacks not finished yet (waiting, or being sent)."""
        with self._lock:
            return len(self._pending)

    def wait(self, timeout: float) -> bool:
        """Wait until no callback is pending; False if some still are after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def reset(self) -> None:
        """Cancel every pending callback and forget the attempts (POST /reset)."""
        with self._lock:
            self._generation += 1
            self._heap.clear()
            self._pending.clear()
            self._log.clear()
            self._lock.notify_all()

    def close(self) -> None:
        """The server stopped: wait for pending callbacks (up to CLOSE_SECONDS), drop the rest."""
        if not self.wait(CLOSE_SECONDS):
            log.warning("callbacks still pending after %d s were not sent", CLOSE_SECONDS)
        with self._lock:
            self._generation += 1
            self._heap.clear()
            self._pending.clear()
            self._lock.notify_all()

    # -- scheduling --------------------------------------------------------------------

    def _schedule(
        self,
        route: str | None,
        callbacks: tuple[Callback, ...],
        context: dict[str, Any],
        depth: int,
        *,
        url: str | None = None,
    ) -> None:
        requests = []
        for callback in callbacks:
            if callback.when is not None and not _holds(callback, context):
                continue
            target = url
            try:
                if target is None:
                    assert callback.url is not None
                    target = str(callback.url.render(context))
                if depth > MAX_DEPTH:
                    self._record(
                        route,
                        callback,
                        target,
                        None,
                        0,
                        f"not sent: the chain of callbacks reached depth {MAX_DEPTH}",
                        0.0,
                    )
                    continue
                requests.append(self._render(callback, target, context, depth))
            except TemplateRenderError as exc:
                message = f"not sent: template failed at {callback.where}: {exc}"
                self._record(route, callback, target or "", None, 0, message, 0.0)
        if not requests:
            return
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                first = requests[0]
                message = f"not sent: {MAX_PENDING} callbacks are pending already"
                self._record(route, first.callback, first.url, None, 0, message, 0.0)
                return
            chain = _Chain(route, requests, self._generation)
            self._pending.add(id(chain))
            self._push(chain, requests[0].pause)
            self._start()

    def _render(
        self, callback: Callback, url: str, context: dict[str, Any], depth: int
    ) -> _Request:
        headers = {DEPTH_HEADER: str(depth)}
        body = None
        if callback.body is not None and callback.body.template is not None:
            value = callback.body.template.render(context)
            if callback.body.kind == "json":
                body = json.dumps(value, ensure_ascii=False).encode("utf-8")
            else:
                body = str(value).encode("utf-8")
            headers["Content-Type"] = callback.body.content_type or "application/octet-stream"
        for name, value in callback.headers:
            headers[name] = str(value.render(context))
        pause = delay_seconds(callback.delay, self.mock.stores.random.random)
        return _Request(callback, url, headers, body, pause)

    def _push(self, chain: _Chain, pause: float) -> None:
        heapq.heappush(self._heap, _Due(time.monotonic() + pause, next(self._seq), chain))
        self._lock.notify_all()

    def _start(self) -> None:
        """Start the scheduler on first use (a spec without callbacks: never)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="mockserve-callbacks", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        """Hand each chain to its receiver's lane when its time comes."""
        with self._lock:
            while True:
                if not self._heap:
                    self._lock.wait()
                    continue
                left = self._heap[0].at - time.monotonic()
                if left > 0:
                    self._lock.wait(left)
                    continue
                chain = heapq.heappop(self._heap).chain
                receiver = _receiver(chain.current.url)
                lane = self._lanes.setdefault(receiver, _Lane())
                lane.due.append(chain)
                if lane.senders < SENDERS:
                    lane.senders += 1
                    threading.Thread(
                        target=self._send_lane,
                        args=(receiver, lane),
                        name=f"mockserve-callback {receiver}",
                        daemon=True,
                    ).start()

    def _send_lane(self, receiver: str, lane: _Lane) -> None:
        """One sender of one receiver: send what is due there, then end."""
        while True:
            with self._lock:
                if not lane.due:
                    lane.senders -= 1
                    if not lane.senders and self._lanes.get(receiver) is lane:
                        del self._lanes[receiver]
                    return
                chain = lane.due.popleft()
                if chain.generation != self._generation:
                    continue  # reset (or stopped) while it waited
            self._attempt(chain)

    def _attempt(self, chain: _Chain) -> None:
        """Send the chain's current callback once; then retry it, go on, or finish."""
        request = chain.current
        callback = request.callback
        started = time.perf_counter()
        status, error = self._send(
            callback.method, request.url, request.headers, request.body, callback.timeout / 1000
        )
        duration = round((time.perf_counter() - started) * 1000, 3)
        with self._lock:
            if chain.generation != self._generation:
                return  # reset (or stopped) while it was being sent
            self._record(
                route=chain.route,
                callback=callback,
                url=request.url,
                status=status,
                attempt=chain.attempt,
                error=error,
                duration_ms=duration,
            )
            retry = status is None or status >= 500
            if retry and chain.attempt < callback.attempts and error != _NOT_RETRIED:
                pause = callback.backoff / 1000 * 2 ** (chain.attempt - 1)
                chain.attempt += 1
                self._push(chain, pause)
                return
            chain.index += 1
            chain.attempt = 1
            if chain.index < len(chain.requests):
                self._push(chain, chain.current.pause)
                return
            self._pending.discard(id(chain))
            self._lock.notify_all()

    def _record(
        self,
        route: str | None,
        callback: Callback,
        url: str,
        status: int | None,
        attempt: int,
        error: str | None,
        duration_ms: float,
    ) -> None:
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
        entry = Attempt(
            now, route, callback.name, url, callback.method, status, attempt, error, duration_ms
        )
        with self._lock:
            self._log.append(entry)
            del self._log[:-LOG_SIZE]
        outcome = status if status is not None else error
        log.info("callback %s: %s %s -> %s", callback.name, callback.method, url, outcome)


_NOT_RETRIED = "invalid URL"
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _send_with_requests(
    method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
) -> tuple[int | None, str | None]:
    """Send one request; (status, None), or (None, why) when no answer came."""
    import requests

    try:
        with requests.request(
            method, url, headers=headers, data=body, timeout=timeout, allow_redirects=False
        ) as answer:
            return answer.status_code, None
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    ):
        return None, _NOT_RETRIED
    except requests.exceptions.Timeout:
        return None, f"timed out after {timeout * 1000:g} ms"
    except requests.exceptions.RequestException as exc:
        found = _ERRNO.search(str(exc))
        reason = found.group(1).strip().lower() if found else type(exc).__name__
        return None, f"connection failed: {reason}"


def _holds(callback: Callback, context: dict[str, Any]) -> bool:
    assert callback.when is not None
    try:
        return bool(callback.when.render(context))
    except TemplateRenderError as exc:
        log.warning("callback %s: 'when' could not be evaluated (%s); not sent", callback.name, exc)
        return False


def _depth(value: str | None) -> int:
    """The depth a request says it has in a chain of callbacks (0 for a client's own)."""
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def install_callbacks(mock: Mock) -> Callbacks:
    """Give `mock` its callbacks: scheduled after each answer, cancelled by a reset."""
    callbacks = Callbacks(mock)
    mock.callbacks = callbacks
    if callbacks.routes:
        mock.listen(callbacks.listener)
    mock.reset_hooks.append(callbacks.reset)
    mock.close_hooks.append(callbacks.close)
    return callbacks
