"""What the mock would do with a request, worked out without sending it anywhere.

The request goes through a fresh app of the spec (Flask's test client, no socket), so
the answer comes from the mock's own matching, contract checks and templates, never a
second copy of them. Only what reaches outside is left out: no delay is waited, no fault
is drawn (the route's faults are listed instead), nothing is forwarded upstream and no
callback is sent. State starts as the spec starts it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..app import create_app
from ..exchange import Exchange, current_exchange
from ..pipeline import Pipeline
from ..report import failures_text
from ..spec.model import Fault, ResponseTemplate, Route, Spec
from ..stores.memory import memory_stores
from .specfile import Refused

UPSTREAM = "x-mockserve-upstream"  # the journal entry's extra: where it would be forwarded


class DryRun(Pipeline):
    """The pipeline, with what reaches outside the process noted instead of done."""

    upstream_url: str | None = None

    def fault(self, route: Route, exchange: Exchange) -> Fault | None:
        if route.faults:
            exchange.extra["faults_not_drawn"] = [_fault(f) for f in route.faults]
        return None

    def send(self, template: ResponseTemplate) -> None:
        delay = template.delay if template.delay is not None else self.spec.settings.delay
        if delay is not None:
            current_exchange().extra["delay_ms_not_waited"] = [delay.low, delay.high]

    def forward(self, route: Route, exchange: Exchange) -> Response:
        return self.forwarded(exchange)

    def forwarded(self, exchange: Exchange) -> Response:
        """What a forward would be: the upstream's answer, unknown here."""
        exchange.extra[UPSTREAM] = self.upstream_url
        return Response(status=502)


def _fault(fault: Fault) -> dict[str, Any]:
    what = fault.kind or (f"status {fault.response.status}" if fault.response else "response")
    return {"rate": fault.rate, "fault": what}


def explain(
    spec: Spec,
    method: str,
    path: str,
    query: dict[str, Any] | None,
    headers: dict[str, str] | None,
    body: Any,
) -> dict[str, Any]:
    """Send the request to a fresh app of `spec` in this process; say what it answered and why."""
    if not path.startswith("/"):
        raise Refused(f"path: {path!r} must start with / (e.g. /users/1); put the query in `query`")
    method = method.strip().upper()
    if not method.isalpha():
        raise Refused(f"method: {method!r} is not an HTTP method (e.g. GET, POST)")
    proxy = spec.settings.proxy
    quiet = dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, proxy=None))
    app = create_app(quiet, stores=memory_stores(quiet), pipeline_type=DryRun)
    mock = app.extensions["mockserve"]
    pipeline: DryRun = mock.pipeline
    pipeline.listeners.clear()  # no access log, no callbacks: the journal entry is enough
    if proxy is not None and proxy.to:
        pipeline.upstream_url = proxy.to
        pipeline.fallbacks.insert(0, pipeline.forwarded)
    options: dict[str, Any] = {"headers": dict(headers or {})}
    if query:
        options["query_string"] = urlencode(query, doseq=True)
    if body is not None:
        if isinstance(body, str):
            options["data"] = body.encode("utf-8")
        else:
            options["data"] = json.dumps(body)
            if not any(k.lower() == "content-type" for k in options["headers"]):
                options["headers"]["Content-Type"] = "application/json"
    with app.test_client() as client:
        client.open(path, method=method, **options)
    entries = mock.stores.journal.entries()
    if not entries:  # an admin path: never journaled
        return {"request": f"{method} {path}", "summary": "an admin API path of the mock"}
    entry = entries[-1]
    shown = entry.as_json()
    result: dict[str, Any] = {
        "request": _request_line(method, path, query),
        "summary": "",
        "route": entry.route,
        "status": entry.status,
        "response": shown["response"],
    }
    if entry.why:
        result["near_misses"] = entry.why
    if entry.failures:
        result["failures"] = entry.failures
    violations = mock.stores.journal.violations()
    if violations:
        result["violation"] = violations[-1].why
    for name in ("faults_not_drawn", "delay_ms_not_waited"):
        if name in entry.extra:
            result[name] = entry.extra[name]
    upstream = entry.extra.get(UPSTREAM)
    if proxy is not None and proxy.to and proxy.when == "always" and entry.status != 422:
        upstream = proxy.to
    if upstream:
        result["status"] = None
        result["response"] = None
        result["forwarded_to"] = upstream
    result["summary"] = _summary(result)
    return result


def _request_line(method: str, path: str, query: dict[str, Any] | None) -> str:
    return f"{method} {path}" + (f"?{urlencode(query, doseq=True)}" if query else "")


def _summary(result: dict[str, Any]) -> str:
    """One sentence a person (or an agent) reads first."""
    request, route, status = result["request"], result["route"], result["status"]
    if result.get("forwarded_to"):
        by = f"route {route!r}" if route else "no route"
        return f"{request}: {by}; forwarded to the upstream {result['forwarded_to']}"
    if result.get("failures"):
        listed = failures_text(result["failures"])
        return f"{request}: route {route!r} refuses it with {status}: {listed}"
    if route is None and result.get("near_misses"):
        closest = result["near_misses"][0]
        return (
            f"{request}: no route matches ({status}); closest: {closest['method']} "
            f"{closest['path']} ({closest['why']})"
        )
    if result.get("violation"):
        return f"{request}: {status}: {result['violation']}"
    return f"{request}: route {route!r} answers {status}"
