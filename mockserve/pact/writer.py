"""Write a V4 pact from what a consumer's test exercised on the mock.

Each request a spec route answered (no violation, no fault) becomes an interaction: the
request sent and the answer given. The answer's body is held to the route's contract
and not to the mock's random values: where the answer was templated, the matching rule
is the type of what the template rendered (a generated `id` is "an integer", not 7);
where the route declares a response schema, its types and array sizes become rules too.
Constant parts stay exact. The first write of a file in a process replaces it; later
writes (more tests) merge into it, an interaction replacing one of the same description.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..exchange import Exchange
from ..journal import Entry
from ..spec.model import ResponseTemplate, Route
from ..templating import DictValue, ListValue
from .matching import json_path
from .model import is_json_type

_WRITTEN: set[Path] = set()  # files this process has written: later writes merge
_LOCK = threading.Lock()
_SKIPPED_HEADERS = frozenset(
    {"content-length", "date", "server", "connection", "transfer-encoding", "keep-alive"}
)


@dataclass
class Exercised:
    """One exchange as a pact interaction needs it, taken while the request was answered."""

    route: Route
    template: ResponseTemplate
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    content_type: str | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    response_type: str | None


@dataclass
class PactWriter:
    """Collects a mock's exchanges (`listener`) and writes them as a pact (`write`)."""

    consumer: str
    provider: str
    directory: Path
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Exercised] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def path(self) -> Path:
        return self.directory / f"{_slug(self.consumer)}-{_slug(self.provider)}.json"

    def listener(self, exchange: Exchange, entry: Entry) -> None:
        """Keep an exchange a route answered as its contract says (for `mock.listen`)."""
        template, route = exchange.template, self.routes.get(exchange.route or "")
        if template is None or route is None or exchange.violation or exchange.fault:
            return
        status, answer = exchange.status, entry.response
        if status is None or answer is None or template.proxy:
            return
        request = exchange.request
        declared = _declared_headers(route)
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in declared or (name.lower() == "content-type" and request.data)
        }
        kept = Exercised(
            route=route,
            template=template,
            method=request.method,
            path=request.path,
            query={name: list(values) for name, values in request.args.lists()},
            headers=headers,
            body=request.get_data(cache=True),
            content_type=request.content_type,
            status=status,
            response_headers=dict(answer.headers),
            response_body=answer.body,
            response_type=answer.content_type,
        )
        with self.lock:
            self.seen.append(kept)

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()

    def interactions(self) -> list[dict[str, Any]]:
        """The exchanges kept, as V4 interactions (one per distinct request and answer)."""
        with self.lock:
            seen = list(self.seen)
        found: dict[str, dict[str, Any]] = {}
        for item in seen:
            interaction = _interaction(item)
            base = interaction["description"]
            description, count = base, 2
            while description in found:
                same = {k: v for k, v in found[description].items() if k != "description"}
                if same == {k: v for k, v in interaction.items() if k != "description"}:
                    break
                description, count = f"{base} #{count}", count + 1
            interaction["description"] = description
            found.setdefault(description, interaction)
        return list(found.values())

    def write(self) -> Path | None:
        """Write (or merge into) the pact file; None when nothing was exercised."""
        interactions = self.interactions()
        if not interactions:
            return None
        target = self.path
        with _LOCK:
            merged: dict[str, dict[str, Any]] = {}
            if target in _WRITTEN and target.is_file():
                try:
                    earlier = json.loads(target.read_text("utf-8")).get("interactions", [])
                except (OSError, ValueError):
                    earlier = []
                merged = {i["description"]: i for i in earlier if isinstance(i, dict)}
            merged.update({i["description"]: i for i in interactions})
            document = {
                "consumer": {"name": self.consumer},
                "provider": {"name": self.provider},
                "interactions": list(merged.values()),
                "metadata": {
                    "pactSpecification": {"version": "4.0"},
                    "mockserve": {"version": __version__},
                },
            }
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
            _WRITTEN.add(target)
        return target


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "pact"


def _declared_headers(route: Route) -> set[str]:
    """The request headers a route's contract names (lower-case)."""
    contract = route.contract.headers
    schema = getattr(getattr(contract, "validator", None), "schema", None)
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return {str(name).lower() for name in properties}


def _body(raw: bytes, content_type: str | None) -> dict[str, Any] | None:
    """A V4 body: JSON content, text, or base64 bytes."""
    if not raw:
        return None
    if is_json_type(content_type):
        try:
            return {"content": json.loads(raw), "contentType": content_type, "encoded": False}
        except ValueError:
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        encoded = base64.b64encode(raw).decode()
        return {"content": encoded, "contentType": content_type, "encoded": "base64"}
    return {"content": text, "contentType": content_type or "text/plain", "encoded": False}


def _interaction(item: Exercised) -> dict[str, Any]:
    target = item.path + (_query_text(item.query) if item.query else "")
    request: dict[str, Any] = {"method": item.method, "path": item.path}
    path_rule = _path_rule(item.route.path)
    if path_rule is not None:  # /orders/{id:int}: any order's path, as the route takes
        request["matchingRules"] = {"path": {"combine": "AND", "matchers": [path_rule]}}
    if item.query:
        request["query"] = item.query
    if item.headers:
        request["headers"] = {name: [value] for name, value in item.headers.items()}
    body = _body(item.body, item.content_type)
    if body is not None:
        request["body"] = body
    response: dict[str, Any] = {"status": item.status}
    headers = _response_headers(item)
    if headers:
        response["headers"] = {name: [value] for name, value in headers.items()}
    answer = _body(item.response_body, item.response_type)
    if answer is not None:
        response["body"] = answer
        if isinstance(answer["content"], (dict, list)) and answer["encoded"] is False:
            rules = body_rules(item.template, answer["content"], item.route)
            if rules:
                response["matchingRules"] = {"body": rules}
    return {
        "type": "Synchronous/HTTP",
        "description": f"{item.route.name}: {item.method} {target} -> {item.status}",
        "pending": False,
        "request": request,
        "response": response,
    }


_PARAM = re.compile(r"\{([^{}:]*)(?::([^{}]*))?\}")
_CONVERTERS = {
    "int": r"\d+",
    "float": r"\d+(?:\.\d+)?",
    "uuid": r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    "path": r".+",
}


def _path_rule(template: str) -> dict[str, Any] | None:
    """A regex matcher for a route path with parameters (None for a fixed path)."""
    if "{" not in template:
        return None
    regex, last = "", 0
    for match in _PARAM.finditer(template):
        regex += re.escape(template[last : match.start()])
        regex += _CONVERTERS.get((match.group(2) or "").strip(), r"[^/]+")
        last = match.end()
    regex += re.escape(template[last:])
    return {"match": "regex", "regex": regex}


def _query_text(query: dict[str, list[str]]) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode([(k, v) for k, values in query.items() for v in values])


def _response_headers(item: Exercised) -> dict[str, str]:
    """Content-Type, and the headers the route's answer sets itself."""
    own = {name.lower() for name, _ in item.template.headers} | {"content-type"}
    return {
        name: value
        for name, value in item.response_headers.items()
        if name.lower() in own and name.lower() not in _SKIPPED_HEADERS
    }


# -- matching rules from the route's answer and contract -------------------------------


def _rule(value: Any) -> dict[str, Any]:
    """The type a rendered value must keep: an integer, a number, a boolean, the same type."""
    if isinstance(value, bool):
        return {"match": "boolean"}
    if isinstance(value, int):
        return {"match": "integer"}
    if isinstance(value, float):
        return {"match": "number"}
    return {"match": "type"}


def body_rules(template: ResponseTemplate, rendered: Any, route: Route) -> dict[str, Any]:
    """`$.path -> {"matchers": [...]}` for a rendered JSON answer."""
    rules: dict[str, dict[str, Any]] = {}
    schema = template.schema
    if isinstance(schema, dict):
        _schema_rules(schema, rendered, (), rules, 0)
    value = template.body.template
    if value is not None and not getattr(value, "constant", True):
        _template_rules(value, rendered, (), rules)
    return {path: {"combine": "AND", "matchers": [m]} for path, m in rules.items()}


def _template_rules(value: Any, rendered: Any, path: tuple, rules: dict) -> None:
    if getattr(value, "constant", True):
        return
    if isinstance(value, DictValue) and isinstance(rendered, dict):
        for key, item in value.items:
            if key in rendered:
                _template_rules(item, rendered[key], (*path, key), rules)
        return
    if isinstance(value, ListValue) and isinstance(rendered, list):
        for index, item in enumerate(value.items):
            if index < len(rendered):
                _template_rules(item, rendered[index], (*path, index), rules)
        return
    rules[json_path(path)] = _rule(rendered)  # a templated value: held to its type


_SCHEMA_RULES = {"integer": "integer", "number": "number", "boolean": "boolean"}


def _schema_rules(schema: dict, rendered: Any, path: tuple, rules: dict, depth: int) -> None:
    """Types and array sizes of a declared response schema, where the answer has them."""
    if depth > 32:
        return
    kind = schema.get("type")
    if isinstance(rendered, dict) and isinstance(schema.get("properties"), dict):
        for key, sub in schema["properties"].items():
            if key in rendered and isinstance(sub, dict):
                _schema_rules(sub, rendered[key], (*path, key), rules, depth + 1)
        return
    if isinstance(rendered, list) and kind == "array":
        matcher: dict[str, Any] = {"match": "type"}
        if isinstance(schema.get("minItems"), int):
            matcher["min"] = schema["minItems"]
        if isinstance(schema.get("maxItems"), int):
            matcher["max"] = schema["maxItems"]
        rules[json_path(path)] = matcher
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(rendered):
                _schema_rules(items, item, (*path, index), rules, depth + 1)
        return
    if isinstance(kind, str) and kind in _SCHEMA_RULES:
        rules[json_path(path)] = {"match": _SCHEMA_RULES[kind]}
    elif kind == "string" and isinstance(rendered, str):
        rules[json_path(path)] = {"match": "type"}
