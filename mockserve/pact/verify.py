"""Pact's provider verification: replay each interaction against a real provider.

For each interaction, every provider state is set up first with the call Pact's own
verifiers make (`POST {"consumer", "state", "params", "action": "setup"}` to the
provider-states setup URL); then the request is sent as the pact writes it and the
answer checked by the Pact matcher: status equal, the pact's headers present, the body
by its `matchingRules`, else by value. Mismatches read as Pact prints them
(`$.items[0].id: Expected ...`). Cases and outcomes are `verify`'s own, so the report,
the JUnit file and the exit codes are the same.
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from ..proxy import failure_reason
from ..tls import upstream_trust
from ..verify.cases import SAFE_METHODS, Case, Outcome, Unreachable
from .matching import match_response
from .model import NULL, PRESENT, Body, Request, Response
from .paths import PathExp
from .routes import Served, ServedPact

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


class PactVerifier:
    """Replays a pact's interactions against the provider at `url`."""

    def __init__(
        self,
        served: ServedPact,
        url: str,
        *,
        states_url: str | None = None,
        headers: dict[str, str] | None = None,
        only_safe: bool = False,
        timeout: float = 30,
        ca: str | None = None,
    ):
        self.served = served
        self.url = url.rstrip("/")
        self.states_url = states_url
        self.headers = headers or {}
        self.only_safe = only_safe
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = upstream_trust(ca)  # --upstream-ca, else the environment's

    def cases(self, names: tuple[str, ...] = ()) -> list[Case]:
        """One case per interaction (of `names` only, when named), in the pact's order."""
        found = []
        for item in self.served.served:
            if names and item.route.name not in names:
                continue
            request = item.interaction.request
            found.append(
                Case(
                    item.route,
                    item.route.name,
                    request.method,
                    request.path,
                    {name: list(values) for name, values in (request.query or {}).items()},
                    dict(request.headers),
                    request.body.raw if request.body.state == PRESENT else None,
                )
            )
        return found

    def run(self, case: Case) -> Outcome:
        item = self.served.by_route[case.route.name]
        if self.only_safe and case.method not in SAFE_METHODS:
            return Outcome(case, skipped=f"{case.method}; --only-safe")
        given, problem = self.set_up(item)
        if problem is not None:
            return Outcome(case, [problem])
        request = item.interaction.request
        path, query, headers, body = _from_states(request, case, given)
        target = self.url + path
        if request.query_text is not None:  # V1/V2: the query string as written
            target += "?" + request.query_text if request.query_text else ""
            query = None
        headers.update(self.headers)
        try:
            answer = self.session.request(
                case.method,
                target,
                params=query,
                headers=headers,
                data=body,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.ConnectionError as exc:
            raise Unreachable(f"cannot reach {self.url}: {failure_reason(exc)}") from None
        except requests.Timeout:
            return Outcome(case, [f"no answer within {self.timeout:g} s"])
        expected = item.interaction.response
        actual = received_response(answer, expected)
        return Outcome(case, [str(m) for m in match_response(expected, actual)])

    def set_up(self, item: Served) -> tuple[dict[str, Any], str | None]:
        """Set up each provider state; the values the provider returned, or a problem."""
        given: dict[str, Any] = {}
        interaction = item.interaction
        if not interaction.states:
            return given, None
        if self.states_url is None:
            return given, None  # the provider is taken to be in the state already
        for state in interaction.states:
            payload = {
                "consumer": self.served.pact.consumer,
                "state": state.name,
                "params": state.params,
                "action": "setup",
            }
            try:
                answer = self.session.post(self.states_url, json=payload, timeout=self.timeout)
            except requests.ConnectionError as exc:
                reason = failure_reason(exc)
                raise Unreachable(f"cannot reach {self.states_url}: {reason}") from None
            except requests.Timeout:
                return given, f"provider state {state.name!r}: no answer from the setup URL"
            if answer.status_code >= 400:
                return given, (
                    f"provider state {state.name!r}: the setup URL answered {answer.status_code}"
                )
            try:
                returned = answer.json() if answer.content else None
            except ValueError:
                returned = None
            if isinstance(returned, dict):
                given.update(returned)
            given.update({k: v for k, v in state.params.items() if k not in given})
        return given, None


def received_response(answer: requests.Response, expected: Response) -> Response:
    """A provider's answer as the Pact matcher reads one."""
    content_type = answer.headers.get("Content-Type")
    body = Body.of_bytes(answer.content, content_type, json_expected=expected.body.is_json)
    if not answer.content:
        body = Body(NULL if expected.body.state == NULL else "missing")
    return Response(status=answer.status_code, headers=tuple(answer.headers.items()), body=body)


def _from_states(
    request: Request, case: Case, given: dict[str, Any]
) -> tuple[str, Any, dict[str, str], bytes | None]:
    """The request with its `ProviderState` generators filled from the states' values."""
    path, query, headers, body = case.path, dict(case.query), dict(case.headers), case.body
    generators = request.generators
    if not given or not generators:
        return path, query, headers, body
    path_generator = generators.get("path")
    if isinstance(path_generator, dict) and _is_state(path_generator):
        path = str(_filled(path_generator["expression"], given, path))
    for name, generator in (generators.get("query") or {}).items():
        if _is_state(generator):
            query[name] = [str(_filled(generator["expression"], given, query.get(name)))]
    for name, generator in (generators.get("header") or {}).items():
        if _is_state(generator):
            headers[name] = str(_filled(generator["expression"], given, headers.get(name)))
    body_generators = generators.get("body") or {}
    if request.body.is_json and any(_is_state(g) for g in body_generators.values()):
        value = json.loads(json.dumps(request.body.value))
        for where, generator in body_generators.items():
            if _is_state(generator):
                value = _replace(value, PathExp.parse(where).tokens, generator, given)
        body = json.dumps(value).encode()
    return path, query, headers, body


def _is_state(generator: Any) -> bool:
    return isinstance(generator, dict) and generator.get("type") == "ProviderState"


def _filled(expression: Any, given: dict[str, Any], example: Any) -> Any:
    """`${name}` filled from the values the provider returned (a lone one keeps its type)."""
    text = str(expression)
    whole = _PLACEHOLDER.fullmatch(text)
    if whole:
        return given.get(whole.group(1), example)
    return _PLACEHOLDER.sub(lambda m: str(given.get(m.group(1), m.group(0))), text)


def _replace(value: Any, tokens: tuple[Any, ...], generator: dict, given: dict) -> Any:
    if not tokens:
        return _filled(generator.get("expression"), given, value)
    head, rest = tokens[0], tokens[1:]
    if isinstance(value, dict) and head in value:
        value[head] = _replace(value[head], rest, generator, given)
    elif isinstance(value, list) and isinstance(head, int) and head < len(value):
        value[head] = _replace(value[head], rest, generator, given)
    return value
