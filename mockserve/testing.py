"""MockServer: a spec served over real HTTP from a thread, with assertions for tests.

The server is the same one `mockserve run` starts, so a client under test talks to it
exactly as it would in production. The assertions read the journal, and a failing one
says what was expected and then lists the requests that did arrive, closest first.
"""

from __future__ import annotations

import difflib
import json as _json
import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from .app import create_app
from .callbacks import Attempt
from .exchange import Exchange
from .journal import Entry, Violation
from .loading import load_spec
from .mock import AdminAccess, Mock
from .pact.writer import PactWriter
from .report import INDENT, entry_lines, plural, times_text, violations_text
from .serve import Runner
from .serve.choice import choose
from .spec import Spec
from .tls import spec_certificate
from .waiting import wait_until
from .websocket.assertions import SocketAssertions


class _Unset:
    """`json=` not given: any body will do (None would mean a JSON `null` body)."""

    def __repr__(self) -> str:
        return "<not given>"


_UNSET: Any = _Unset()
SHOWN = 10  # requests listed in a failing assertion's message


class MockServer(SocketAssertions):
    """A spec served on host:port (0 picks a free port) until `stop()` or the `with` ends.

    Its sockets (`websockets`) too: `ws_send`, `wait_for_ws` and `assert_ws_received`.
    """

    def __init__(
        self,
        spec: Spec | str | os.PathLike[str],
        port: int = 0,
        seed: int | None = None,
        host: str = "127.0.0.1",
        *,
        admin_token: str | None = None,
        https: bool = False,
        cert_hosts: tuple[str, ...] = (),
        pact: dict[str, Any] | None = None,
    ):
        """`https=True` serves TLS with the spec's `settings.tls`, else a certificate of the
        local CA, whose file is `ca_path` (a client's `verify=`).

        `pact={"consumer": C, "provider": P, "dir": "pacts"}` records the requests the
        spec's routes answer and writes them as a V4 pact (`write_pact()`, or when the
        `with` block ends without an exception)."""
        # Load now, and whole (not lazily as `run` serves an OpenAPI document), so a bad
        # spec raises SpecError here, where the test names it, and every warning is known.
        if not isinstance(spec, Spec):
            spec = load_spec(spec, seed=seed)
        self.app: Flask = create_app(spec, seed=seed, access=AdminAccess(token=admin_token))
        self.mock: Mock = self.app.extensions["mockserve"]
        self.ca_path: Path | None = None
        tls = None
        if https:  # a bad certificate raises CertificateError here, as a bad spec does
            certificate = spec_certificate(self.spec.settings, hosts=(host, *cert_hosts))
            tls = certificate.context()
            self.ca_path = self.mock.ca_path = certificate.ca_path
        # The backend `mockserve run` would pick for this spec, in a thread of this process.
        self._backend: Any = choose(self.app, tls=tls).factory
        self.host = host
        self._port = port
        self._runner: Runner | None = None
        self._lock = threading.Lock()
        self._arrived = threading.Condition()
        self.mock.listen(self._notify)
        self._watch_messages()
        self.pact_writer: PactWriter | None = None
        if pact is not None:
            self.pact_writer = _pact_writer(pact, self.spec)
            self.mock.listen(self.pact_writer.listener)

    @property
    def port(self) -> int:
        """The port served (the one picked when 0 was asked), once started."""
        return self._runner.backend.port if self._runner is not None else self._port

    @property
    def spec(self) -> Spec:
        return self.mock.spec

    # -- running ---------------------------------------------------------------------

    def start(self) -> MockServer:
        """Start serving from a daemon thread; does nothing when already serving."""
        with self._lock:
            if self._runner is None or not self._runner.running:
                self._runner = Runner(
                    self.app, host=self.host, port=self._port, backend=self._backend
                ).start()
        return self

    def stop(self) -> None:
        """Stop serving; safe to call more than once. The journal stays readable."""
        with self._lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.stop()

    @property
    def running(self) -> bool:
        """True while serving: False after stop(), and after `POST /__mockserve/shutdown`."""
        return self._runner is not None and self._runner.running

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the server has stopped (e.g. after `POST /__mockserve/shutdown`)."""
        runner = self._runner
        return runner is None or runner.wait(timeout)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        if exc_info[0] is None:
            self.write_pact()

    def write_pact(self) -> Path | None:
        """Write the pact of the requests answered since the last write (with `pact=`).

        The first write of a file in this process replaces it, later ones merge into it.
        Returns the file, or None when there is nothing to write.
        """
        if self.pact_writer is None:
            return None
        written = self.pact_writer.write()
        self.pact_writer.clear()
        return written

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:54321` (no trailing slash)."""
        if self._runner is None:
            raise RuntimeError("the MockServer is not running: call start() or use `with` first")
        return self._runner.url

    def __repr__(self) -> str:
        where = self._runner.url if self.running and self._runner else "stopped"
        return f"<MockServer {self.spec.title!r} {where}>"

    # -- what happened -----------------------------------------------------------------

    @property
    def journal(self) -> list[Entry]:
        """The requests answered so far, oldest first (admin requests aside)."""
        return self.mock.stores.journal.entries()

    @property
    def violations(self) -> list[Violation]:
        """Every request the spec did not cover or that broke a contract, this whole run."""
        return self.mock.stores.journal.violations()

    @property
    def requests_seen(self) -> int:
        """How many requests were answered this whole run (admin requests aside)."""
        return self.mock.stores.journal.requests_seen

    def reset(self) -> None:
        """Back to the start, as `POST /__mockserve/reset`: journal, state, resources, sequences.

        Violations are kept: they are the run's verdict, and a reset must not hide one.
        """
        self.mock.reset()

    def calls(self, method: str, path_or_route: str, *, json: Any = _UNSET) -> list[Entry]:
        """The journal's requests with this method and path (no query) or route name."""
        method = method.upper()
        return [e for e in self.journal if _hits(e, method, path_or_route, json)]

    def wait_for(
        self,
        method: str,
        path_or_route: str,
        times: int = 1,
        timeout: float = 5,
        *,
        json: Any = _UNSET,
    ) -> list[Entry]:
        """Return once `times` such requests arrived (as `assert_called` counts them).

        Tests wait on this, never on a sleep; after `timeout` seconds it raises
        AssertionError listing the requests that did arrive.
        """
        __tracebackhide__ = True
        found = wait_until(
            self._arrived, lambda: self.calls(method, path_or_route, json=json), times, timeout
        )
        if len(found) >= times:
            return found
        head = (
            f"waited {timeout:g} s for {_what(method, path_or_route, json)} to be called "
            f"{times_text(times)}, but it was called {times_text(len(found))}"
        )
        raise AssertionError(head + "\n" + self._arrived_text(method, path_or_route, json))

    # -- callbacks -------------------------------------------------------------------

    @property
    def callbacks(self) -> list[Attempt]:
        """Every callback attempt so far, oldest first (as GET /__mockserve/callbacks)."""
        return self.mock.callbacks.attempts()

    def wait_for_callbacks(self, timeout: float = 5) -> list[Attempt]:
        """Return once no callback is pending (their delays and retries done); the attempts.

        After `timeout` seconds it raises AssertionError listing the attempts so far.
        """
        __tracebackhide__ = True
        if self.mock.callbacks.wait(timeout):
            return self.callbacks
        pending = self.mock.callbacks.pending
        raise AssertionError(
            f"waited {timeout:g} s for callbacks, but {plural(pending, 'chain')} "
            f"{'is' if pending == 1 else 'are'} still pending\n" + _attempts_text(self.callbacks)
        )

    def assert_callback_sent(self, name: str, times: int | None = None) -> None:
        """Assert the callback `name` was delivered (answered below 500): once or more, or
        exactly `times` times. Retries of one delivery count once."""
        __tracebackhide__ = True
        count = sum(1 for attempt in self.callbacks if attempt.name == name and attempt.sent)
        if (count >= 1) if times is None else (count == times):
            return
        wanted = "at least once" if times is None else times_text(times)
        raise AssertionError(
            f"expected callback {name!r} to be sent {wanted}, but it was sent {times_text(count)}\n"
            + _attempts_text(self.callbacks)
        )

    def _notify(self, exchange: Exchange, entry: Entry) -> None:
        with self._arrived:
            self._arrived.notify_all()

    # -- assertions ----------------------------------------------------------------------

    def assert_called(
        self, method: str, path_or_route: str, times: int | None = None, *, json: Any = _UNSET
    ) -> None:
        """Assert the request arrived: at least once, or exactly `times` times.

        `path_or_route` is a request path without its query (`/users/1`) or a route's name
        (`get-user`); `json=` also requires the request body, parsed, to equal it.
        """
        __tracebackhide__ = True
        count = len(self.calls(method, path_or_route, json=json))
        if (count >= 1) if times is None else (count == times):
            return
        wanted = "at least once" if times is None else times_text(times)
        head = (
            f"expected {_what(method, path_or_route, json)} to be called {wanted}, "
            f"but it was called {times_text(count)}"
        )
        raise AssertionError(head + "\n" + self._arrived_text(method, path_or_route, json))

    def assert_not_called(self, method: str, path_or_route: str, *, json: Any = _UNSET) -> None:
        """Assert no such request arrived (same matching as `assert_called`)."""
        __tracebackhide__ = True
        count = len(self.calls(method, path_or_route, json=json))
        if count:
            head = (
                f"expected {_what(method, path_or_route, json)} not to be called, "
                f"but it was called {times_text(count)}"
            )
            raise AssertionError(head + "\n" + self._arrived_text(method, path_or_route, json))

    def assert_no_violations(self) -> None:
        """Assert every request was covered by the spec and kept its contract (as `--strict`)."""
        __tracebackhide__ = True
        violations = self.violations
        if violations:
            raise AssertionError(
                f"expected no violations, but there "
                f"{'was' if len(violations) == 1 else 'were'} "
                f"{len(violations)}:\n{violations_text(violations)}"
            )

    def _arrived_text(self, method: str, target: str, json: Any) -> str:
        entries = self.journal
        if not entries:
            if self.spec.settings.journal <= 0:
                return "The journal keeps no requests (settings.journal is 0)."
            return "No requests arrived."
        ranked = sorted(
            entries, key=lambda e: _closeness(e, method.upper(), target, json), reverse=True
        )
        lines = [f"Requests that did arrive ({len(entries)}), closest first:"]
        for entry in ranked[:SHOWN]:
            lines += ["  " + line for line in entry_lines(entry)]
            if json is not _UNSET and _route_hit(entry, method.upper(), target):
                lines += ["  " + INDENT + line for line in _body_diff(json, entry)]
        if len(ranked) > SHOWN:
            lines.append(f"  ... and {len(ranked) - SHOWN} more (see server.journal)")
        return "\n".join(lines)


def _attempts_text(attempts: list[Attempt]) -> str:
    if not attempts:
        return "No callback was attempted."
    lines = [f"Callback attempts ({len(attempts)}), oldest first:"]
    for a in attempts[-SHOWN:]:
        outcome = a.status if a.status is not None else a.error
        lines.append(f"  {a.name}: {a.method} {a.url} -> {outcome} (attempt {a.attempts})")
    return "\n".join(lines)


def _route_hit(entry: Entry, method: str, target: str) -> bool:
    return entry.method == method and target in (entry.path, entry.route)


def _hits(entry: Entry, method: str, target: str, json: Any) -> bool:
    if not _route_hit(entry, method, target):
        return False
    return json is _UNSET or _parsed(entry) == (True, json)


def _parsed(entry: Entry) -> tuple[bool, Any]:
    """(True, value) for a body that is JSON, else (False, None)."""
    if entry.body is None:
        return False, None
    try:
        return True, _json.loads(entry.body)
    except ValueError:
        return False, None


def _closeness(entry: Entry, method: str, target: str, json: Any) -> tuple:
    similar = max(
        difflib.SequenceMatcher(None, target, text).ratio()
        for text in (entry.path, entry.route or "")
    )
    return (
        _hits(entry, method, target, json),
        _route_hit(entry, method, target),
        target in (entry.path, entry.route),
        similar + 0.5 * (entry.method == method),
        -entry.id,
    )


def _body_diff(expected: Any, entry: Entry) -> list[str]:
    """The body the request sent, and how it differs from the one expected."""
    ok, actual = _parsed(entry)
    if not ok:
        return ["body is not JSON: " + (repr(entry.body[:200]) if entry.body else "(empty)")]
    if actual == expected:
        return []
    want = _json.dumps(expected, indent=2, sort_keys=True).splitlines()
    got = _json.dumps(actual, indent=2, sort_keys=True).splitlines()
    diff = [line for line in difflib.ndiff(want, got) if line[:1] in "-+"]
    return ["body differs (- expected, + sent):"] + ["  " + line for line in diff]


def _what(method: str, target: str, json: Any) -> str:
    what = (
        f"{method.upper()} {target}"
        if target.startswith("/")
        else f"{method.upper()} (route {target!r})"
    )
    if json is not _UNSET:
        what += " with JSON body " + _json.dumps(json, sort_keys=True)
    return what


def _pact_writer(options: dict[str, Any], spec: Spec) -> PactWriter:
    """A PactWriter from `pact={"consumer", "provider", "dir"}` (provider: the spec's title)."""
    unknown = set(options) - {"consumer", "provider", "dir"}
    if unknown or not options.get("consumer"):
        raise ValueError(
            'pact= takes {"consumer": NAME, "provider": NAME, "dir": FOLDER}; '
            + (f"unknown: {', '.join(sorted(unknown))}" if unknown else "consumer is missing")
        )
    return PactWriter(
        consumer=str(options["consumer"]),
        provider=str(options.get("provider") or spec.title),
        directory=Path(options.get("dir") or "pacts"),
        routes={route.name: route for route in spec.routes},
    )
