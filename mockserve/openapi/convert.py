"""An OpenAPI 3.0/3.1 document as a mockserve spec (a plain dict in the spec format).

One route per operation. Its parameters and request body become the route's contract;
its responses become a `responses` list whose `when` conditions pick the answer the
way an OpenAPI mock is expected to: a missing credential gets 401, `Prefer: code=...`
and `Prefer: example=...` pick a declared response, `Accept` picks a media type (406
when none fits), and otherwise the lowest 2xx answers. Bodies are fixed here, at
conversion time, so serving the document and serving its import give the same answers.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Any

from ..pointer import resolve_pointer, unescape_token
from ..report import plural
from ..styles import COOKIE, STYLE, annotation
from ..templating import literal, literal_value
from ..values import sendable_header
from .callbacks import document_webhooks, route_callbacks
from .dialect import Dialect, schema_name_ref
from .generate import CannotGenerate, Generator
from .path_items import path_item_routes
from .terms import METHODS, NO_BODY, is_json_media

_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")
_STRUCTURED = ("application/x-www-form-urlencoded", "multipart/form-data")
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}
# Set by the server from the body it really sends; a declared value would break the answer.
_FRAMING_HEADERS = {
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "content-encoding",
    "upgrade",
    "te",
    "trailer",
}


_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+*-]+/[A-Za-z0-9!#$&^_.+*-]+$")


def bare_media(key: str) -> str | None:
    """A media type without its parameters (`application/json; charset=utf-8` ->
    `application/json`), or None when the text is not a media type at all."""
    base = str(key).split(";", 1)[0].strip().lower()
    return base if _MEDIA_TYPE.match(base) else None


def clean_path(key: str) -> str:
    """`/files/{id}#add_shared_link` and `/responses/{id}?beta=true` -> the URL's path."""
    for mark in ("#", "?"):
        key = key.split(mark, 1)[0]
    return key or "/"


_SELECTOR = re.compile(r"^[A-Za-z0-9_.-]+=[^&#=]+$")


def _selector(key: str) -> str | None:
    """The `when` that tells an operation apart by its path key: `/?Action=X` (a query
    value) or `/#X-Amz-Target=Svc.Op` (a header value); None for a plain key."""
    for mark, kind in (("?", "query"), ("#", "header")):
        if mark in key:
            text = key.split(mark, 1)[1].split("#", 1)[0]
            if _SELECTOR.match(text):
                name, value = text.split("=", 1)
                if kind == "query":
                    return f"query.get({_quote(name)}) == {_quote(value)}"
                return f"headers.get({_quote(name)}) == {_quote(value)}"
    return None


def _member(node: dict[str, Any], key: str) -> dict[str, Any]:
    """`node[key]` when it is a mapping, else an empty one (documents are not always valid)."""
    value = node.get(key)
    return value if isinstance(value, dict) else {}


def _chosen_by(group: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One route for operations at one URL, each answering when its selector holds.

    Their contracts differ, so the shared route checks none of them (a load warning
    says so); no selector holding is the usual 404 naming the conditions.
    """
    first = group[0][1]
    route: dict[str, Any] = {"method": first["method"], "path": first["path"], "responses": []}
    for selector, operation in group:
        for answer in operation["responses"]:
            when = answer.get("when")
            condition = f"{selector} and ({when})" if when else selector
            route["responses"].append({**answer, "when": condition})
    return route


def _header_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _quote(text: str) -> str:
    return json.dumps(text)


class Converter:
    """Turns one parsed document into a spec dict and a list of warnings."""

    def __init__(self, document: dict[str, Any], *, seed: int | None = None):
        self.document = document
        self._warnings: dict[str, None] = {}
        self._counts: dict[str, int] = {}
        self._route_name = ""  # the route being made, named in its 401 and 406 answers
        self._values: dict[Any, tuple[Any, Any]] = {}  # media (id or schema) -> (it, its value)
        self._seed = seed if seed is not None else 0
        # Routes whose conversion waits for their first request (spec(later=True)).
        self._pending: dict[int, tuple[Any, ...]] = {}
        # A route shared by operations told apart by a query or header value, made whole
        # from its members (each converted then) when completed.
        self._groups: dict[int, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]] = {}
        self._lock = threading.Lock()
        version = str(document.get("openapi", ""))
        self.dialect = Dialect(version.startswith("3.1"), self.warn, self.pointer)
        components = _member(document, "components")
        self.components = components
        raw_schemas = _member(components, "schemas")
        self.schemas = {}
        for name, schema in raw_schemas.items():
            self.dialect.component = str(name)
            self.schemas[str(name)] = self.dialect.convert(schema, f"components.schemas.{name}")
        self.dialect.component = None
        self.generator = Generator(self.schemas, seed)
        self._request_twins: dict[str, str] = {}  # component -> ref a request body uses
        self.uncovered: set[str] = set()  # routes answering 405 for undeclared methods
        self.schemes = _member(components, "securitySchemes")

    # -- bookkeeping -------------------------------------------------------------------

    def warn(self, message: str) -> None:
        self._warnings.setdefault(message, None)

    def count(self, what: str) -> None:
        self._counts[what] = self._counts.get(what, 0) + 1

    def warnings(self) -> list[str]:
        summary = {
            "links": "links are not followed ({n} with them)",
            "mutualTLS": "mutualTLS security is not checked ({n})",
        }
        nouns = {
            "links": "response",
            "mutualTLS": "operation",
        }
        counted = [
            summary[k].format(n=plural(n, nouns[k]))
            for k, n in self._counts.items()
            if k in summary
        ]
        return counted + list(self._warnings)

    def pointer(self, ref: str) -> Any:
        """What a local `#/...` ref names, or None."""
        if not ref.startswith("#/"):
            return None
        try:
            return resolve_pointer(self.document, ref)
        except LookupError:
            return None

    def deref(self, node: Any, where: str = "") -> Any:
        """Follow `$ref`s of parameters, responses, bodies, examples and path items."""
        for _ in range(20):
            if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
                return node
            target = self.pointer(node["$ref"])
            if target is None:
                self.warn(f"{where}: $ref {node['$ref']!r} cannot be followed; ignored")
                return {}
            node = target
        return {}

    # -- the document ------------------------------------------------------------------

    def spec(self, *, later: bool = False) -> dict[str, Any]:
        """The spec dict; with `later`, routes hold only name, method and path until `complete`."""
        document = self.document
        info = _member(document, "info")
        routes: list[dict[str, Any]] = []
        # (method, URL) -> where first seen, and the operations a query/header value picks
        seen: dict[tuple[str, str], tuple[str, list[Any] | None]] = {}
        names: set[str] = set()
        paths = _member(document, "paths")
        for key, item in paths.items():
            item = self.deref(item, f"paths[{key!r}]")
            if not isinstance(item, dict):
                continue
            if not str(key).startswith("/"):
                self.warn(f"paths[{key!r}]: a path must start with '/'; skipped")
                continue
            path, renamed = self._template(clean_path(str(key)))
            signature = _TEMPLATE.sub("{}", path)
            selector = _selector(str(key))
            for method in METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                where = f"{method.upper()} {key}"
                route = self._head(method, path, operation, names)
                self._tally(item, operation, where)
                pending = (route, renamed, item, operation, where)
                if later:
                    self._pending[id(route)] = pending
                else:
                    self._complete(*pending)
                if (method, signature) in seen:
                    first = seen[(method, signature)]
                    if selector and first[1] is not None:
                        first[1].append((selector, route))
                        continue
                    self.warn(f"{where}: same URL as {first[0]}; skipped")
                    continue
                group = [(selector, route)] if selector else None
                seen[(method, signature)] = (where, group)
                routes.append(route)
        for _, group in seen.values():
            if group and len(group) > 1:
                head = group[0][1]
                self.warn(
                    f"{head['method']} {head['path']}: {len(group)} operations told apart by "
                    "a query or header value share one route; their contracts are not checked"
                )
                if later:  # the shared route is made when its first request completes it
                    shared = {"method": head["method"], "path": head["path"]}
                    self._groups[id(shared)] = (shared, group)
                else:
                    shared = _chosen_by(group)
                routes[next(i for i, r in enumerate(routes) if r is head)] = shared
        added = path_item_routes(routes, names)
        self.uncovered = {r["name"] for r in added if r["response"]["status"] == 405}
        routes += added
        spec: dict[str, Any] = {
            "mockserve": 1,
            "title": str(info.get("title") or "OpenAPI document"),
        }
        if self.schemas:
            spec["schemas"] = self.schemas
        spec["routes"] = routes

        if webhooks := document_webhooks(self):
            spec["webhooks"] = webhooks
        return spec

    def _template(self, path: str) -> tuple[str, dict[str, str]]:
        """Path parameters as mockserve names (identifiers): `{team-id}` -> `{team_id}`."""
        renamed: dict[str, str] = {}

        def replace(match: re.Match[str]) -> str:
            original = match.group(1)
            name = _IDENTIFIER.sub("_", original.strip("+#./;?&*")) or "param"
            if name[0].isdigit():
                name = "p_" + name
            while name in renamed.values():
                name += "_"
            renamed[original] = name
            return "{" + name + "}"

        return _TEMPLATE.sub(replace, path), renamed

    # -- one operation -------------------------------------------------------------------

    def route(
        self,
        method: str,
        path: str,
        renamed: dict[str, str],
        item: dict[str, Any],
        operation: dict[str, Any],
        where: str,
        names: set[str],
    ) -> dict[str, Any]:
        route = self._head(method, path, operation, names)
        self._complete(route, renamed, item, operation, where)
        return route

    def complete(self, route: dict[str, Any]) -> list[str]:
        """Convert the rest of a route made by spec(later=True); return its new warnings."""
        with self._lock:  # first requests to two routes may come at once
            before = len(self._warnings)
            if id(route) in self._groups:  # operations told apart by a query or header value
                shared, group = self._groups.pop(id(route))
                for _, member in group:
                    if id(member) in self._pending:
                        self._complete(*self._pending.pop(id(member)))
                shared.update(_chosen_by(group))
            elif id(route) in self._pending:
                self._complete(*self._pending.pop(id(route)))
            return list(self._warnings)[before:]

    def _head(
        self, method: str, path: str, operation: dict[str, Any], names: set[str]
    ) -> dict[str, Any]:
        route: dict[str, Any] = {}
        name = operation.get("operationId")
        if isinstance(name, str) and name.strip() and name not in names:
            route["name"] = name
            names.add(name)
        route["method"] = method.upper()
        route["path"] = path
        return route

    def _tally(self, item: dict[str, Any], operation: dict[str, Any], where: str) -> None:
        """Count what the summary warnings count (links, mutualTLS), at load: `run` says
        them at start though operations convert later."""
        responses = [self.deref(r, where) for r in _member(operation, "responses").values()]
        if any(isinstance(r, dict) and r.get("links") for r in responses):
            self.count("links")
        requirements = operation.get("security", self.document.get("security"))
        for requirement in requirements if isinstance(requirements, list) else ():
            if not isinstance(requirement, dict) or not requirement:
                return  # anonymous access: nothing is checked
            for name in requirement:
                scheme = self.deref(self.schemes.get(str(name)), f"securitySchemes.{name}")
                kind = str(scheme.get("type", "")).lower() if isinstance(scheme, dict) else ""
                if kind == "mutualtls":
                    self.count("mutualTLS")
                if kind not in ("http", "apikey", "oauth2", "openidconnect"):
                    return  # _security stops at the first scheme it cannot check

    def _complete(
        self,
        route: dict[str, Any],
        renamed: dict[str, str],
        item: dict[str, Any],
        operation: dict[str, Any],
        where: str,
    ) -> None:
        self._parameters(route, renamed, item, operation, where)
        body = self._request_body(operation, where)
        if body:
            route["body"] = body if len(body) > 1 else body[0]
        self._route_name = route.get("name") or f"{route['method']} {route['path']}"
        route["responses"] = self._responses(operation, where)
        errors = self._invalid_request_answers(operation, where)
        if errors:
            route["errors"] = {"422": errors}
        if operation.get("callbacks"):
            route["callbacks"] = route_callbacks(self, operation, renamed, where)

    def _parameters(
        self,
        route: dict[str, Any],
        renamed: dict[str, str],
        item: dict[str, Any],
        operation: dict[str, Any],
        where: str,
    ) -> None:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in list(item.get("parameters") or []) + list(operation.get("parameters") or []):
            parameter = self.deref(raw, where)
            if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
                merged[(parameter["name"], str(parameter.get("in")))] = parameter
        parts: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
        required: dict[str, list[str]] = {"path": [], "query": [], "header": [], "cookie": []}
        for (name, location), parameter in merged.items():
            if location not in parts:
                continue
            if location == "header" and name.lower() in _IGNORED_HEADERS:
                continue
            if location == "path":
                if name not in renamed:
                    continue
                name = renamed[name]
            schema = parameter.get("schema")
            if schema is None and isinstance(parameter.get("content"), dict):
                media: Any = next(iter(parameter["content"].values()), {})
                schema = media.get("schema") if isinstance(media, dict) else None
            parts[location][name] = self.dialect.convert(
                schema if schema is not None else {}, where
            )
            # style/explode: how the value is read (styles.py)
            style = annotation(parameter, location, self.deref(schema, where))
            if style is not None and "schema" in parameter:  # `content` ones are JSON text
                parts[location][name] = {**parts[location][name], STYLE: style}
            if parameter.get("required") or location == "path":
                required[location].append(name)
        for name in renamed.values():
            if name not in parts["path"]:
                parts["path"][name] = {"type": "string"}
                required["path"].append(name)
        if parts["cookie"]:  # cookies are checked as the Cookie header's parts
            cookies = {"type": "object", "properties": parts["cookie"], STYLE: {"in": "cookie"}}
            if required["cookie"]:
                cookies["required"] = required["cookie"]
            parts["header"][COOKIE] = cookies
        for location, key in (("path", "path_params"), ("query", "query"), ("header", "headers")):
            if parts[location]:
                whole: dict[str, Any] = {"type": "object", "properties": parts[location]}
                if required[location]:
                    whole["required"] = required[location]
                route[key] = whole

    def _request_body(self, operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
        body = self.deref(operation.get("requestBody"), where)
        if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
            return []
        options: list[dict[str, Any]] = []
        seen: set[str] = set()
        for key, media in body["content"].items():
            content_type = bare_media(key)
            if content_type is None:
                self.warn(f"{where}: request body key {key!r} is not a media type; skipped")
                continue
            if content_type in seen:
                continue
            seen.add(content_type)
            option: dict[str, Any] = {"content_type": content_type}
            schema = media.get("schema") if isinstance(media, dict) else None
            if schema is not None and (
                is_json_media(content_type) or content_type in _STRUCTURED or "xml" in content_type
            ):  # XML bodies are read by the schema's `xml` objects (xmlbody.py)
                option["schema"] = self._writable(self.dialect.convert(schema, where))
            if not body.get("required"):
                option["required"] = False
            options.append(option)
        options.sort(key=lambda o: "*" in o["content_type"])  # wildcards match last
        return options

    # -- readOnly: what a request need not send ------------------------------------------

    def _writable(self, schema: Any) -> Any:
        """`schema` as a request sees it: `readOnly` properties are not required.

        Component schemas are shared with answers, so one that would change gets a
        request twin (`Pet.request`) and refs to it are pointed there.
        """
        if isinstance(schema, list):
            return [self._writable(s) for s in schema]
        if not isinstance(schema, dict):
            return schema
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/schemas/"):
                out[key] = self._writable_ref(value)
            elif key in ("enum", "const", "examples", "default", "required", "discriminator"):
                out[key] = value
            elif isinstance(value, (dict, list)):
                out[key] = (
                    {n: self._writable(v) for n, v in value.items()}
                    if key in ("properties", "patternProperties", "$defs", "dependentSchemas")
                    and isinstance(value, dict)
                    else self._writable(value)
                )
            else:
                out[key] = value
        read_only = _read_only(out) | {
            name for part in out.get("allOf") or [] for name in _read_only(part)
        }
        if read_only:
            for holder in [out, *(p for p in out.get("allOf") or [] if isinstance(p, dict))]:
                if isinstance(holder.get("required"), list):
                    holder["required"] = [n for n in holder["required"] if n not in read_only]
        return out

    def _writable_ref(self, ref: str) -> str:
        name = unescape_token(ref[len("#/schemas/") :])
        if name not in self.schemas:
            return ref
        if name not in self._request_twins:
            self._request_twins[name] = ref  # a cycle back here keeps the shared schema
            twin = self._writable(self.schemas[name])
            if twin != self.schemas[name]:
                twin_name = f"{name}.request"
                self.schemas[twin_name] = twin
                self._request_twins[name] = schema_name_ref(twin_name)
        return self._request_twins[name]

    # -- responses -------------------------------------------------------------------

    def _responses(self, operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
        declared = _member(operation, "responses")
        entries = [
            (str(code).upper(), self.deref(response, where)) for code, response in declared.items()
        ]
        entries = [(code, r) for code, r in entries if isinstance(r, dict)]
        main_code, main_status = _main_response([code for code, _ in entries])
        answers: list[dict[str, Any]] = []
        security = self._security(operation)
        if security is not None:
            condition, challenge = security
            unauthorized = self._unauthorized(entries, challenge, where)
            answers.append({"when": f"not ({condition})", **unauthorized})
        # exact codes, then `4XX`-style ranges, then `default`: the most specific answers
        ordered = sorted(entries, key=lambda e: (e[0] == "DEFAULT", "X" in e[0], e[0]))
        covered: list[str] = []
        status: int | str  # a code, or a template choosing one
        for code, response in ordered:
            if code.isdigit():
                condition, status = f"prefer('code') == {_quote(code)}", int(code)
            elif re.fullmatch(r"[1-5]XX", code):
                low = int(code[0]) * 100
                condition = f"{low} <= (prefer('code') or 0) | int <= {low + 99}"
                status = "{{ prefer('code') | int }}"
            elif code == "DEFAULT":
                condition = "100 <= (prefer('code') or 0) | int <= 599"
                status = "{{ prefer('code') | int }}"
            else:
                continue
            covered.append(condition)
            answers += self._variants(response, status, condition, f"{where} {code}", final=False)
        declared_codes = ", ".join(
            code.lower() if code == "DEFAULT" else code for code, _ in entries
        )
        uncovered = "prefer('code') is not none"
        if covered:
            uncovered += " and not (" + " or ".join(covered) + ")"
        answers.append(
            {
                "when": uncovered,
                **self._not_declared(
                    "code={{ prefer('code') }}",
                    f"declared: {declared_codes}" if declared_codes else "no response is declared",
                ),
            }
        )
        main = dict(entries).get(main_code) if main_code is not None else None
        answers += self._variants(main or {}, main_status, None, f"{where} {main_code}", final=True)
        return answers

    def _invalid_request_answers(
        self, operation: dict[str, Any], where: str
    ) -> list[dict[str, Any]]:
        """An invalid request's answer in the document's own words: its error example.

        The operation's 422, else 400, else a 4XX range, else `default`, when that
        response has an example; named examples are picked with `Prefer: example=NAME`.
        """
        declared = operation.get("responses")
        if not isinstance(declared, dict):
            return []
        by_code = {str(code).upper(): code for code in declared}
        for wanted in ("422", "400", "4XX", "DEFAULT"):
            if wanted not in by_code:
                continue
            response = self.deref(declared[by_code[wanted]], where)
            if not isinstance(response, dict) or not isinstance(response.get("content"), dict):
                continue
            for key, obj in response["content"].items():
                if bare_media(key) is None or not isinstance(obj, dict):
                    continue
                named: list[tuple[str, Any]] = []
                if "example" in obj:
                    named.append(("", obj["example"]))
                examples = self.deref(obj.get("examples"), where)
                for name, example in examples.items() if isinstance(examples, dict) else ():
                    example = self.deref(example, where)
                    if isinstance(example, dict) and "value" in example:
                        named.append((str(name), example["value"]))
                if not named:
                    continue
                base = {"status": 400 if wanted == "400" else 422}
                headers = self._response_headers(response, where)
                answers = [
                    {
                        "when": f"prefer('example') == {_quote(name)}",
                        **self._body(str(key).strip(), value, obj, headers, base),
                    }
                    for name, value in named
                    if name
                ]
                first = named[0][1]
                answers.append(self._body(str(key).strip(), first, obj, headers, base))
                return answers
        return []

    def _not_declared(self, asked: str, declared: str) -> dict[str, Any]:
        """The 404 for a `Prefer` that asks for what the operation does not declare."""
        message = f"Prefer: {asked} is not declared by this operation ({declared})"
        return {
            "status": 404,
            "json": {
                "error": message,
                "route": literal(self._route_name),
                "errors": [{"in": "headers", "path": "/prefer", "message": message}],
            },
        }

    def _variants(
        self,
        response: dict[str, Any],
        status: int | str,
        condition: str | None,
        where: str,
        *,
        final: bool,
    ) -> list[dict[str, Any]]:
        """The answers one declared response gives, by media type and named example."""
        headers = self._response_headers(response, where)
        content = _member(response, "content")
        # by the type without its parameters; the declared key is what Content-Type says
        media_types: dict[str, tuple[str, dict[str, Any]]] = {}
        for key, media in content.items():
            bare = bare_media(key)
            if bare is None:
                self.warn(f"{where}: content key {key!r} is not a media type; skipped")
                continue
            declared = str(key).strip()
            media_types.setdefault(bare, (declared, media if isinstance(media, dict) else {}))
        base = {"status": status}
        if status in (204, 304) or (isinstance(status, int) and status < 200):
            media_types = {}  # these statuses never carry a body
        prefix = f"{condition} and " if condition else ""
        names: list[str] = []
        answers: list[dict[str, Any]] = []
        for bare, (media, obj) in media_types.items():
            examples = self.deref(obj.get("examples"), where)
            for name, example in examples.items() if isinstance(examples, dict) else ():
                example = self.deref(example, where)
                if not isinstance(example, dict) or "value" not in example:
                    continue
                names.append(str(name))
                answers.append(
                    {
                        "when": f"{prefix}prefer('example') == {_quote(str(name))} "
                        f"and {self._accepts(media_types)} == {_quote(bare)}",
                        **self._body(media, example["value"], obj, headers, base),
                    }
                )
        known = list(dict.fromkeys(names))
        unknown = "prefer('example') is not none"
        if known:
            unknown += f" and prefer('example') not in {json.dumps(known)}"
        answers.append(
            {
                "when": prefix + unknown,
                **self._not_declared(
                    "example={{ prefer('example') }}",
                    "named examples: " + ", ".join(literal(n) for n in known)
                    if known
                    else "it has no named examples",
                ),
            }
        )
        if not media_types:
            answer = {**base, **({"headers": headers} if headers else {})}
            return [*answers, answer if final else {"when": condition, **answer}]
        for bare, (media, obj) in media_types.items():
            value = self._default_value(obj, where)
            answers.append(
                {
                    "when": f"{prefix}{self._accepts(media_types)} == {_quote(bare)}",
                    **self._body(media, value, obj, headers, base),
                }
            )
        listed = ", ".join(media for media, _ in media_types.values())
        refusal = {
            "status": 406,
            "json": {
                "error": literal(f"not acceptable: this operation answers with {listed}"),
                "route": literal(self._route_name),
                "errors": [],
            },
        }
        answers.append(refusal if final else {"when": condition, **refusal})
        return answers

    @staticmethod
    def _accepts(media_types: dict[str, Any]) -> str:
        return "accepts(" + ", ".join(_quote(m) for m in media_types) + ")"

    def example_value(self, media: dict[str, Any], where: str) -> Any:
        """The value a media type's example or schema gives (NO_BODY when there is none)."""
        return self._default_value(media, where)

    def _default_value(self, media: dict[str, Any], where: str) -> Any:
        """One value per declared media type: the same whether asked by Prefer or not."""
        key: Any = id(media)
        if "example" not in media and not media.get("examples") and "schema" in media:
            # JSON and XML of one schema show the same value
            key = json.dumps(media["schema"], sort_keys=True, default=str)
        if key not in self._values:
            # Seeded by what is generated, not by how many values came before: a route
            # converted on its first request answers what the whole import answers.
            self._reseed(key if isinstance(key, str) else where)
            self._values[key] = (media, self._make_value(media, where))
        return self._values[key][1]

    def _make_value(self, media: dict[str, Any], where: str) -> Any:
        schema = media.get("schema")
        converted = self.dialect.convert(schema, where) if schema is not None else None
        candidates = [("example", media["example"])] if "example" in media else []
        examples = self.deref(media.get("examples"), where)
        if isinstance(examples, dict):
            for name, example in examples.items():
                example = self.deref(example, where)
                if isinstance(example, dict) and "value" in example:
                    candidates.append((f"example {name!r}", example["value"]))
                    break
        for what, value in candidates:
            if converted is None or self.generator.valid(converted, value):
                return value
            self.warn(f"{where}: its {what} fails its own schema; answering with another value")
        if converted is None:
            return NO_BODY
        try:
            return self._generate(converted, where)
        except (CannotGenerate, RecursionError) as exc:
            why = "it recurses too deeply" if isinstance(exc, RecursionError) else str(exc)
            self.warn(
                f"{where}: no value fits the schema ({why}); the answer has its shape, "
                "with plain values where none fits"
            )
            self.generator.lenient = True
            try:
                return self._generate(converted, where)
            except RecursionError:
                return NO_BODY
            finally:
                self.generator.lenient = False

    def _generate(self, schema: Any, where: str) -> Any:
        """A value for `schema`; what it had to make do with is a load warning."""
        self.generator.notes = []
        try:
            return self.generator.value(schema)
        finally:
            for note in self.generator.notes:
                self.warn(f"{where}: {note}")

    def _body(
        self,
        media: str,
        value: Any,
        obj: dict[str, Any],
        headers: dict[str, str],
        base: dict[str, Any],
    ) -> dict[str, Any]:
        answer = dict(base)
        headers = dict(headers)
        concrete = (
            media
            if "*" not in media
            else ("application/json" if media == "*/*" else "application/octet-stream")
        )
        if value is NO_BODY:
            if concrete != "application/json":
                headers["Content-Type"] = concrete
            answer["body"] = ""
        elif is_json_media(media) and "json-seq" not in media:
            answer["json"] = literal_value(value)
            if concrete != "application/json":
                headers["Content-Type"] = concrete
        else:
            if isinstance(value, str):
                text = value
            elif "xml" in media:
                text = to_xml(value, _xml_name(obj))
            else:
                text = json.dumps(value, ensure_ascii=False)
            answer["body"] = literal(text)
            headers["Content-Type"] = concrete
        if headers:
            answer["headers"] = headers
        return answer

    def _response_headers(self, response: dict[str, Any], where: str) -> dict[str, str]:
        result: dict[str, str] = {}
        declared = _member(response, "headers")
        for name, header in declared.items():
            header = self.deref(header, where)
            if not isinstance(header, dict) or str(name).lower() in _FRAMING_HEADERS:
                continue
            text = _header_text(header["example"]) if "example" in header else None
            if text is None or not sendable_header(text):
                self._reseed(f"{where} {name}")
                try:
                    schema = self.dialect.convert(header.get("schema", {}), where)
                    text = _header_text(self._generate(schema, where))
                except (CannotGenerate, RecursionError):
                    continue
            if sendable_header(text):
                result[str(name)] = literal(text)
            else:
                self.warn(f"{where}: header {name!r} has no value that can be sent; left out")
        return result

    def _reseed(self, key: str) -> None:
        self.generator.random.seed(f"{self._seed}|{key}")

    # -- security -------------------------------------------------------------------

    def _security(self, operation: dict[str, Any]) -> tuple[str, str] | None:
        """The `when` condition a request's credentials must meet, and the challenge to send."""
        requirements = operation.get("security", self.document.get("security"))
        if not isinstance(requirements, list) or not requirements:
            return None
        alternatives: list[str] = []
        challenges: dict[str, None] = {}
        for requirement in requirements:
            if not isinstance(requirement, dict) or not requirement:
                return None  # an empty requirement: anonymous access is allowed
            parts = []
            for name in requirement:
                check, challenge = self._credential(str(name))
                if check is None:
                    return None  # cannot be checked: do not lock clients out
                parts.append(check)
                challenges.setdefault(challenge, None)
            alternatives.append("(" + " and ".join(parts) + ")")
        return " or ".join(alternatives), ", ".join(challenges)

    def _credential(self, name: str) -> tuple[str | None, str]:
        scheme = self.deref(self.schemes.get(name), f"securitySchemes.{name}")
        if not isinstance(scheme, dict):
            self.warn(f"security scheme {name!r} is not declared; not checked")
            return None, ""
        kind = str(scheme.get("type", "")).lower()
        realm = f'realm="{name}"'
        if kind == "http":
            http = str(scheme.get("scheme", "")).lower()
            if http in ("basic", "bearer"):
                return f"credential({_quote(http)})", f"{http.capitalize()} {realm}"
            return f"credential({_quote(http)})", f"{http.capitalize()} {realm}"
        if kind == "apikey":
            key, location = str(scheme.get("name", "")), str(scheme.get("in", "header"))
            return (
                f'credential("apikey", {_quote(key)}, {_quote(location)})',
                f'ApiKey {realm}, in="{location}", name="{key}"',
            )
        if kind in ("oauth2", "openidconnect"):
            return 'credential("bearer")', f"Bearer {realm}"
        if kind == "mutualtls":  # counted by _tally
            return None, ""
        self.warn(f"security scheme {name!r} of type {kind!r} is not checked")
        return None, ""

    def _unauthorized(
        self, entries: list[tuple[str, dict[str, Any]]], challenge: str, where: str
    ) -> dict[str, Any]:
        """The document's own 401 when it declares one, else the server's JSON error."""
        answer: dict[str, Any] = {"status": 401}
        declared = dict(entries).get("401")
        if declared is not None:
            content = _member(declared, "content")
            headers = self._response_headers(declared, where)
            headers["WWW-Authenticate"] = literal(challenge)
            if content:
                media, obj = next(iter(content.items()))
                obj = obj if isinstance(obj, dict) else {}
                return self._body(str(media), self._default_value(obj, where), obj, headers, answer)
            return {**answer, "headers": headers}
        return {
            **answer,
            "headers": {"WWW-Authenticate": literal(challenge)},
            "json": {
                "error": "unauthorized: this operation needs a credential",
                "route": literal(self._route_name),
                "errors": [],
            },
        }


def _read_only(schema: Any) -> set[str]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return set()
    return {n for n, p in properties.items() if isinstance(p, dict) and p.get("readOnly") is True}


def _main_response(codes: Iterable[str]) -> tuple[str | None, int]:
    """The answer's code and status: lowest 2xx, `2XX` as 200, `default`, the first, or 204."""
    codes = list(codes)
    two = sorted(c for c in codes if c.isdigit() and c.startswith("2"))
    if two:
        return two[0], int(two[0])
    if "2XX" in codes:
        return "2XX", 200
    if "DEFAULT" in codes:
        return "DEFAULT", 200
    if codes:
        first = codes[0]
        if first.isdigit():
            return first, int(first)
        if re.fullmatch(r"[1-5]XX", first):
            return first, int(first[0]) * 100
    return None, 204


def _xml_name(media: dict[str, Any]) -> str:
    schema = _member(media, "schema")
    xml = _member(schema, "xml")
    if isinstance(xml.get("name"), str):
        return xml["name"]
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    return "root"


def to_xml(value: Any, name: str) -> str:
    """A simple XML rendering of a JSON value, for `application/xml` answers."""
    from xml.sax.saxutils import escape

    tag = re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "item"
    if isinstance(value, dict):
        inner = "".join(to_xml(v, str(k)) for k, v in value.items())
    elif isinstance(value, list):
        inner = "".join(to_xml(v, "item") for v in value)
    elif value is None:
        return f"<{tag}/>"
    else:
        inner = escape(json.dumps(value) if isinstance(value, bool) else str(value))
    return f"<{tag}>{inner}</{tag}>"


def convert_document(
    document: dict[str, Any], *, seed: int | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The spec dict for an OpenAPI document, and what of it is not served."""
    converter = Converter(document, seed=seed)
    spec = converter.spec()
    return spec, converter.warnings()
