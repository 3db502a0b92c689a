"""Check that a real backend still answers as the spec says (`mockserve verify`).

Each case is a request: a route's `examples`, or one generated from its contract. The
spec answers it first (in-process, through the same app `run` serves), then the backend;
they must agree on the status, the media type, the headers the spec's answer sets, and
the JSON shape: a schema inferred from the spec's answer (a lone template expression
counts as the type it renders, since the answer is rendered), or `response.schema`
when the spec declares one. Values are compared only with `verify: exact`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from jsonschema import Draft202012Validator

from .app import create_app
from .exchange import Exchange
from .media import is_json_media, media_type
from .openapi.generate import CannotGenerate, Generator
from .pointer import escape_token, json_pointer
from .spec.model import Example, ResponseTemplate, Route, Spec

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_PARAM = re.compile(r"\{([^{}:]+)(?::([^{}]+))?\}")
_SAMPLE = {"int": "1", "float": "1.5", "uuid": "00000000-0000-4000-8000-000000000001"}
SHOWN = 3  # differences listed per case


class Unreachable(Exception):
    """The backend could not be reached at all (exit 3)."""


@dataclass
class Case:
    """One request sent to the spec and to the backend."""

    route: Route
    name: str  # e.g. get-user[existing]
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Outcome:
    case: Case
    differences: list[str] = field(default_factory=list)
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and not self.differences

    def line(self) -> str:
        if self.skipped is not None:
            return f"SKIP {self.case.name} ({self.skipped})"
        if not self.differences:
            return f"PASS {self.case.name}"
        shown = self.differences[:SHOWN]
        more = len(self.differences) - len(shown)
        return (
            f"FAIL {self.case.name} "
            + "; ".join(shown)
            + (f"; and {more} more" if more > 0 else "")
        )


# -- cases -----------------------------------------------------------------------------


def cases(spec: Spec, routes: tuple[str, ...] = ()) -> list[Case]:
    """The cases of the spec's routes (of `routes` only, when named), examples first."""
    generator = Generator(spec.schemas, spec.settings.seed)
    found = []
    for route in spec.routes:
        if routes and route.name not in routes:
            continue
        if route.examples:
            found += [_from_example(route, example) for example in route.examples]
        else:
            found += [_generated(route, method, generator) for method in route.methods]
    return found


def _from_example(route: Route, example: Example) -> Case:
    headers = dict(example.headers)
    body = None
    if example.has_body:
        if isinstance(example.body, str) and any(k.lower() == "content-type" for k in headers):
            body = example.body.encode("utf-8")
        else:
            body = json.dumps(example.body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
    query = {
        k: _text(v) if not isinstance(v, list) else [_text(i) for i in v]
        for k, v in example.query.items()
    }
    return Case(
        route,
        f"{route.name}[{example.name}]",
        route.methods[0],
        example.path,
        query,
        headers,
        body,
    )


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _generated(route: Route, method: str, generator: Generator) -> Case:
    """A request the route's contract accepts: path values, required query and headers, body."""
    contract = route.contract
    values: dict[str, Any] = {}
    if contract.path is not None:
        schema = contract.path.validator.schema
        values = _value(generator, schema, minimal=False) or {}
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        for name, prop in properties.items():  # 1 when it will do: /users/1, not /users/8311
            if generator.valid(prop, 1):
                values[name] = 1

    def fill(match: re.Match[str]) -> str:
        name, converter = match.group(1).strip(), (match.group(2) or "").strip()
        if name in values:
            return str(values[name])
        return _SAMPLE.get(converter, "1")

    path = _PARAM.sub(fill, route.path)
    query: dict[str, Any] = {}
    headers: dict[str, Any] = {}
    if contract.query is not None:
        query = _value(generator, contract.query.validator.schema, minimal=True) or {}
    if contract.headers is not None:
        headers = _value(generator, contract.headers.validator.schema, minimal=True) or {}
    body = None
    headers = {str(k): _text(v) for k, v in headers.items()}
    if contract.body is not None and contract.body.required:
        schema = contract.body.validator.schema if contract.body.validator else {}
        value = _value(generator, schema, minimal=False)
        content_type = contract.body.content_type
        if "form-urlencoded" in content_type and isinstance(value, dict):
            body = urlencode({k: _text(v) for k, v in value.items()}).encode()
        elif "json" in content_type or content_type in ("*/*", ""):
            body = json.dumps(value).encode("utf-8")
            content_type = "application/json" if content_type in ("*/*", "") else content_type
        else:
            body = (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")
        headers["Content-Type"] = content_type
    suffix = f"generated {method}" if len(route.methods) > 1 else "generated"
    query = {str(k): v if isinstance(v, list) else _text(v) for k, v in query.items()}
    return Case(route, f"{route.name}[{suffix}]", method, path, query, headers, body)


def _value(generator: Generator, schema: Any, *, minimal: bool) -> Any:
    generator.minimal = minimal
    try:
        value = generator.value(schema)
        if not generator.valid(schema, value) and not minimal:
            generator.minimal = True
            value = generator.value(schema)
        return value
    except (CannotGenerate, RecursionError):
        return None
    finally:
        generator.minimal = False


# -- comparing -------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def infer_schema(value: Any) -> dict[str, Any]:
    """The JSON Schema of a value's shape: types and required keys, not values.

    `null` says nothing about the type (a template's undefined renders as null); an
    array's items take the shape of its first item.
    """
    kind = json_type(value)
    if kind == "null":
        return {}
    if kind == "object":
        return {
            "type": "object",
            "required": list(value),
            "properties": {k: infer_schema(v) for k, v in value.items()},
        }
    if kind == "array":
        return {"type": "array", "items": infer_schema(value[0])} if value else {"type": "array"}
    if kind == "number":
        return {"type": "number"}
    return {"type": kind}


def shape_differences(schema: dict[str, Any], actual: Any, pointer: str = "") -> Iterator[str]:
    """How `actual` departs from an inferred shape: `body /name: expected string, got integer`."""
    expected = schema.get("type")
    if expected is None:
        return
    got = json_type(actual)
    if got != expected and not (expected == "number" and got == "integer"):
        yield f"body {pointer or '/'}: expected {expected}, got {got}"
        return
    if expected == "object":
        for key in schema["required"]:
            where = f"{pointer}/{escape_token(key)}"
            if key not in actual:
                yield f"body {where}: missing"
            else:
                yield from shape_differences(schema["properties"][key], actual[key], where)
    elif expected == "array" and "items" in schema:
        for index, item in enumerate(actual):
            yield from shape_differences(schema["items"], item, f"{pointer}/{index}")


def schema_differences(schema: Any, schemas: dict[str, Any], actual: Any) -> Iterator[str]:
    """How `actual` fails a declared schema (`response.schema`), jsonschema's words."""
    root = {"allOf": [schema], "schemas": schemas}
    for error in Draft202012Validator(root).iter_errors(actual):
        pointer = json_pointer(error.absolute_path)
        yield f"body {pointer or '/'}: {error.message}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def media(self) -> str:
        return media_type(self.headers.get("content-type"))


def compare(
    spec_answer: Answer,
    real: Answer,
    template: ResponseTemplate | None,
    schemas: dict[str, Any],
) -> list[str]:
    """Every way the backend's answer departs from the spec's."""
    differences = []
    if real.status != spec_answer.status:
        differences.append(f"status: expected {spec_answer.status}, got {real.status}")
    if spec_answer.body and real.media != spec_answer.media:
        differences.append(
            f"content-type: expected {spec_answer.media or '(none)'}, got {real.media or '(none)'}"
        )
    exact = template is not None and template.verify == "exact"
    declared = [name.lower() for name, _ in template.headers] if template is not None else []
    for name in declared:
        if name not in real.headers:
            differences.append(f"header {name}: missing")
        elif exact and real.headers[name] != spec_answer.headers.get(name):
            differences.append(
                f"header {name}: expected {spec_answer.headers.get(name)!r}, "
                f"got {real.headers[name]!r}"
            )
    if differences and differences[0].startswith("status"):
        return differences  # another answer altogether: its body says nothing more
    differences += _body_differences(spec_answer, real, template, schemas, exact)
    return differences


def _body_differences(
    spec_answer: Answer,
    real: Answer,
    template: ResponseTemplate | None,
    schemas: dict[str, Any],
    exact: bool,
) -> list[str]:
    schema = template.schema if template is not None else None
    if not (is_json_media(spec_answer.media) and spec_answer.body) and schema is None:
        if exact and real.body != spec_answer.body:
            return [f"body: expected {_short(spec_answer.body)}, got {_short(real.body)}"]
        return []
    try:
        actual = json.loads(real.body)
    except ValueError:
        return [f"body: expected JSON, got {_short(real.body)}"]
    if schema is not None:
        found = list(schema_differences(schema, schemas, actual))
    else:
        expected = json.loads(spec_answer.body)
        found = list(shape_differences(infer_schema(expected), actual))
        if not found and exact and actual != expected:
            found = [f"body: expected {_short(spec_answer.body)}, got {_short(real.body)}"]
    return found


def _short(body: bytes, limit: int = 80) -> str:
    text = body.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


# -- OpenAPI documents: the declared schemas -----------------------------------------------


Declared = dict[tuple[str, str], dict[str, Any]]  # (METHOD, route path) -> {code: schema}


def declared_schemas(document: Any) -> Declared:
    """Each operation's JSON response schemas by code (`200`, `4XX`, `default`), in the
    spec's dialect (2020-12, refs into `#/schemas/...`), keyed as the routes are."""
    from .openapi.convert import Converter, clean_path
    from .openapi.terms import METHODS

    converter = Converter(document)
    declared: Declared = {}
    paths = document.get("paths") if isinstance(document.get("paths"), dict) else {}
    for key, item in paths.items():
        item = converter.deref(item)
        if not isinstance(item, dict) or not str(key).startswith("/"):
            continue
        path = converter._template(clean_path(str(key)))[0]  # the route's path, as converted
        for method in METHODS:
            operation = item.get(method)
            responses = operation.get("responses") if isinstance(operation, dict) else None
            for code, response in (responses or {}).items():
                response = converter.deref(response)
                content = response.get("content") if isinstance(response, dict) else None
                for media, obj in (content or {}).items():
                    if is_json_media(str(media)) and isinstance(obj, dict) and "schema" in obj:
                        where = f"{method.upper()} {key} {code}"
                        schema = converter.dialect.convert(obj["schema"], where)
                        declared.setdefault((method.upper(), path), {})[str(code).upper()] = schema
                        break
    return declared


def _declared_for(codes: dict[str, Any], status: int) -> Any:
    """The schema declared for `status`: its own code, its range, else `default`."""
    for code in (str(status), f"{str(status)[0]}XX", "DEFAULT"):
        if code in codes:
            return codes[code]
    return None


# -- running -----------------------------------------------------------------------------


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
            raise Unreachable(f"cannot reach {self.url}: {_reason(exc)}") from None
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


def _reason(exc: Exception) -> str:
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return found.group(1).strip().lower() if found else type(exc).__name__


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
