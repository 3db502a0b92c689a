"""Running the cases: the spec answers first (in-process), then the backend; a JUnit report."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

import requests

from ..app import create_app
from ..exchange import Exchange
from ..proxy import failure_reason
from ..spec.model import Spec
from ..tls import upstream_trust
from .cases import SAFE_METHODS, Case, Outcome, Unreachable
from .compare import Answer, Declared, _declared_for, compare


class Verifier:
    """Sends each case to the spec (in-process) and to the backend at `url`."""

    def __init__(
        self,
        spec: Spec,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        only_safe: bool = False,
        timeout: float = 30,
        declared: Declared | None = None,
        ca: str | None = None,
    ):
        self.spec = spec
        self.url = url.rstrip("/")
        self.headers = headers or {}
        self.only_safe = only_safe
        self.timeout = timeout
        self.declared = declared or {}
        self.app = create_app(spec)
        self.client = self.app.test_client()
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = upstream_trust(ca)
        self._seen: list[Exchange] = []
        self.app.extensions["mockserve"].listen(lambda exchange, entry: self._seen.append(exchange))

    def run(self, case: Case) -> Outcome:
        if self.only_safe and case.method not in SAFE_METHODS:
            return Outcome(case, skipped=f"{case.method}; --only-safe")
        if any(t.proxy for t in case.route.responses):
            return Outcome(case, skipped="forwarded to the upstream")
        headers = {**case.headers, **self.headers}
        self._seen.clear()
        mine = self.client.open(
            case.path,
            method=case.method,
            query_string=case.query,
            headers=headers,
            data=case.body,
        )
        exchange = self._seen[-1] if self._seen else None
        spec_answer = Answer(
            mine.status_code, {k.lower(): v for k, v in mine.headers.items()}, mine.get_data()
        )
        if exchange is None or exchange.template is None:
            why = json.loads(spec_answer.body).get("error") if spec_answer.body else ""
            return Outcome(
                case,
                [f"spec: the spec answers this request itself with {mine.status_code} ({why})"],
            )
        try:
            theirs = self.session.request(
                case.method,
                self.url + case.path,
                params=case.query,
                headers=headers,
                data=case.body,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.ConnectionError as exc:
            raise Unreachable(f"cannot reach {self.url}: {failure_reason(exc)}") from None
        except requests.Timeout:
            return Outcome(case, [f"no answer within {self.timeout:g} s"])
        real = Answer(
            theirs.status_code, {k.lower(): v for k, v in theirs.headers.items()}, theirs.content
        )
        template = exchange.template
        codes = self.declared.get((case.method, case.route.path))
        if template.schema is None and codes:
            schema = _declared_for(codes, spec_answer.status)
            if schema is not None:  # an OpenAPI document: the schema it declares
                template = dataclasses.replace(template, schema=schema)
        return Outcome(case, compare(spec_answer, real, template, self.spec.schemas))


def junit_xml(outcomes: list[Outcome], url: str) -> bytes:
    """The outcomes as a JUnit XML report (one testcase per case) for CI to show."""
    failed = sum(1 for o in outcomes if o.skipped is None and o.differences)
    skipped = sum(1 for o in outcomes if o.skipped is not None)
    suite = ET.Element(
        "testsuite",
        name=f"mockserve verify {url}",
        tests=str(len(outcomes)),
        failures=str(failed),
        errors="0",
        skipped=str(skipped),
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite, "testcase", classname=outcome.case.route.name, name=outcome.case.name
        )
        if outcome.skipped is not None:
            ET.SubElement(case, "skipped", message=outcome.skipped)
        elif outcome.differences:
            failure = ET.SubElement(case, "failure", message=outcome.differences[0])
            failure.text = "\n".join(outcome.differences)
    ET.indent(suite)
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True) + b"\n"
