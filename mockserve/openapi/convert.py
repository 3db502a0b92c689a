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

from ..pointer import resolve_pointer
from ..report import plural
from .dialect import Dialect
from .generate import CannotGenerate, Generator

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")
_STRUCTURED = ("application/x-www-form-urlencoded", "multipart/form-data")
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}
_MARKERS = ("{{", "{%", "{#")
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


def literal(text: str) -> str:
    """Text that mockserve's templating sends as written (documents may contain `{{`)."""
    if not any(marker in text for marker in _MARKERS):
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    return text.replace("{", "\\u007b")


def literal_value(value: Any) -> Any:
    """A JSON value with every string made literal, and non-JSON scalars made text."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, dict):
        return {str(k): literal_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [literal_value(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return literal(str(value))


def is_json_media(media: str) -> bool:
    return media == "*/*" or "json" in media


def clean_path(key: str) -> str:
    """`/files/{id}#add_shared_link` and `/responses/{id}?beta=true` -> the URL's path."""
    for mark in ("#", "?"):
        key = key.split(mark, 1)[0]
    return key or "/"


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
        self._lock = threading.Lock()
        version = str(document.get("openapi", ""))
        self.dialect = Dialect(version.startswith("3.1"), self.warn, self.pointer)
        components = (
            document.get("components") if isinstance(document.get("components"), dict) else {}
        )
        self.components = components
        raw_schemas = (
            components.get("schemas") if isinstance(components.get("schemas"), dict) else {}
        )
        self.schemas = {}
        for name, schema in raw_schemas.items():
            self.dialect.component = str(name)
            self.schemas[str(name)] = self.dialect.convert(schema, f"components.schemas.{name}")
        self.dialect.component = None
        self.generator = Generator(self.schemas, seed)
        self.schemes = (
            components.get("securitySchemes")
            if isinstance(components.get("securitySchemes"), dict)
            else {}
        )

    # -- bookkeeping -------------------------------------------------------------------

    def warn(self, message: str) -> None:
        self._warnings.setdefault(message, None)

    def count(self, what: str) -> None:
        self._counts[what] = self._counts.get(what, 0) + 1

    def warnings(self) -> list[str]:
        summary = {
            "callbacks": "callbacks are not called ({n} with them)",
            "links": "links are not followed ({n} with them)",
            "cookie": "cookie parameters are not checked ({n})",
            "mutualTLS": "mutualTLS security is not checked ({n})",
            "deepObject": "deepObject query parameters are not checked ({n})",
        }
        nouns = {
            "callbacks": "operation",
            "links": "response",
            "mutualTLS": "operation",
            "cookie": "parameter",
            "deepObject": "parameter",
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
        info = document.get("info") if isinstance(document.get("info"), dict) else {}
        routes: list[dict[str, Any]] = []
        seen: dict[tuple[str, str], str] = {}
        names: set[str] = set()
        paths = document.get("paths") if isinstance(document.get("paths"), dict) else {}
        for key, item in paths.items():
            item = self.deref(item, f"paths[{key!r}]")
            if not isinstance(item, dict):
                continue
            if not str(key).startswith("/"):
                self.warn(f"paths[{key!r}]: a path must start with '/'; skipped")
                continue
            path, renamed = self._template(clean_path(str(key)))
            signature = _TEMPLATE.sub("{}", path)
            for method in METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                where = f"{method.upper()} {key}"
                if (method, signature) in seen:
                    self.warn(f"{where}: same URL as {seen[(method, signature)]}; skipped")
                    continue
                seen[(method, signature)] = where
                if later:
                    route = self._head(method, path, operation, names)
                    self._pending[id(route)] = (route, renamed, item, operation, where)
                    routes.append(route)
                else:
                    routes.append(self.route(method, path, renamed, item, operation, where, names))
        if isinstance(document.get("webhooks"), dict) and document["webhooks"]:
            self.warn(f"webhooks are not sent ({len(document['webhooks'])} declared)")
        spec: dict[str, Any] = {
            "mockserve": 1,
            "title": str(info.get("title") or "OpenAPI document"),
        }
        if self.schemas:
            spec["schemas"] = self.schemas
        spec["routes"] = routes
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
            pending = self._pending.get(id(route))
            if pending is None:
                return []
            before = len(self._warnings)
            self._complete(*pending)
            del self._pending[id(route)]
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
        if operation.get("callbacks"):
            self.count("callbacks")
        self._route_name = route.get("name") or f"{route['method']} {route['path']}"
        route["responses"] = self._responses(operation, where)

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
        parts: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        required: dict[str, list[str]] = {"path": [], "query": [], "header": []}
        for (name, location), parameter in merged.items():
            if location == "cookie":
                self.count("cookie")
                continue
            if location not in parts:
                continue
            if location == "header" and name.lower() in _IGNORED_HEADERS:
                continue
            if location == "query" and parameter.get("style") == "deepObject":
                self.count("deepObject")  # `scope[type]=x` arrives as its own names
                continue
            if location == "path":
                if name not in renamed:
                    continue
                name = renamed[name]
            schema = parameter.get("schema")
            if schema is None and isinstance(parameter.get("content"), dict):
                media = next(iter(parameter["content"].values()), {})
                schema = media.get("schema") if isinstance(media, dict) else None
            parts[location][name] = self.dialect.convert(
                schema if schema is not None else {}, where
            )
            if parameter.get("required") or location == "path":
                required[location].append(name)
        for name in renamed.values():
            if name not in parts["path"]:
                parts["path"][name] = {"type": "string"}
                required["path"].append(name)
        for location, key in (("path", "path_params"), ("query", "query"), ("header", "headers")):
            if parts[location]:
                schema: dict[str, Any] = {"type": "object", "properties": parts[location]}
                if required[location]:
                    schema["required"] = required[location]
                route[key] = schema

    def _request_body(self, operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
        body = self.deref(operation.get("requestBody"), where)
        if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
            return []
        options: list[dict[str, Any]] = []
        seen: set[str] = set()
        for key, media in body["content"].items():
            content_type = str(key).split(";", 1)[0].strip().lower()
            if not content_type or content_type in seen:
                continue
            seen.add(content_type)
            option: dict[str, Any] = {"content_type": content_type}
            schema = media.get("schema") if isinstance(media, dict) else None
            if schema is not None and (is_json_media(content_type) or content_type in _STRUCTURED):
                option["schema"] = self.dialect.convert(schema, where)
            if not body.get("required"):
                option["required"] = False
            options.append(option)
        options.sort(key=lambda o: "*" in o["content_type"])  # wildcards match last
        return options

    # -- responses -------------------------------------------------------------------

    def _responses(self, operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
        declared = (
            operation.get("responses") if isinstance(operation.get("responses"), dict) else {}
        )
        entries = [
            (str(code).upper(), self.deref(response, where)) for code, response in declared.items()
        ]
        entries = [(code, r) for code, r in entries if isinstance(r, dict)]
        if any(r.get("links") for _, r in entries):
            self.count("links")
        main_code, main_status = _main_response([code for code, _ in entries])
        answers: list[dict[str, Any]] = []
        security = self._security(operation)
        if security is not None:
            condition, challenge = security
            unauthorized = self._unauthorized(entries, challenge, where)
            answers.append({"when": f"not ({condition})", **unauthorized})
        ordered = sorted(entries, key=lambda e: (e[0] == "default", "X" in e[0], e[0]))
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
            answers += self._variants(response, status, condition, f"{where} {code}", final=False)
        main = dict(entries).get(main_code) if main_code is not None else None
        answers += self._variants(main or {}, main_status, None, f"{where} {main_code}", final=True)
        return answers

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
        content = response.get("content") if isinstance(response.get("content"), dict) else {}
        media_types: dict[str, dict[str, Any]] = {}
        for key, media in content.items():
            media_types.setdefault(str(key).strip(), media if isinstance(media, dict) else {})
        base = {"status": status}
        if status in (204, 304) or (isinstance(status, int) and status < 200):
            media_types = {}  # these statuses never carry a body
        if not media_types:
            answer = {**base, **({"headers": headers} if headers else {})}
            return [answer if final else {"when": condition, **answer}]
        prefix = f"{condition} and " if condition else ""
        accepts = "accepts(" + ", ".join(_quote(m) for m in media_types) + ")"
        answers = []
        for media, obj in media_types.items():
            examples = self.deref(obj.get("examples"), where)
            for name, example in examples.items() if isinstance(examples, dict) else ():
                example = self.deref(example, where)
                if not isinstance(example, dict) or "value" not in example:
                    continue
                answers.append(
                    {
                        "when": f"{prefix}prefer('example') == {_quote(str(name))} "
                        f"and {accepts} == {_quote(media)}",
                        **self._body(media, example["value"], obj, headers, base),
                    }
                )
        for media, obj in media_types.items():
            value = self._default_value(obj, where)
            answers.append(
                {
                    "when": f"{prefix}{accepts} == {_quote(media)}",
                    **self._body(media, value, obj, headers, base),
                }
            )
        if final:
            listed = ", ".join(media_types)
            answers.append(
                {
                    "status": 406,
                    "json": {
                        "error": literal(f"not acceptable: this operation answers with {listed}"),
                        "route": literal(self._route_name),
                        "errors": [],
                    },
                }
            )
        return answers

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
        if "example" in media:
            return media["example"]
        examples = self.deref(media.get("examples"), where)
        if isinstance(examples, dict):
            for example in examples.values():
                example = self.deref(example, where)
                if isinstance(example, dict) and "value" in example:
                    return example["value"]
        schema = media.get("schema")
        if schema is None:
            return _NO_BODY
        converted = self.dialect.convert(schema, where)
        try:
            return self.generator.value(converted)
        except CannotGenerate as exc:
            self.warn(
                f"{where}: no value could be made from the schema ({exc}); answering without a body"
            )
            return _NO_BODY
        except RecursionError:
            self.warn(f"{where}: the schema recurses too deeply; answering without a body")
            return _NO_BODY

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
        if value is _NO_BODY:
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
        declared = response.get("headers") if isinstance(response.get("headers"), dict) else {}
        for name, header in declared.items():
            header = self.deref(header, where)
            if not isinstance(header, dict) or str(name).lower() in _FRAMING_HEADERS:
                continue
            if "example" in header:
                value = header["example"]
            else:
                self._reseed(f"{where} {name}")
                try:
                    value = self.generator.value(
                        self.dialect.convert(header.get("schema", {}), where)
                    )
                except (CannotGenerate, RecursionError):
                    continue
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            result[str(name)] = literal(str(value))
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
        if kind == "mutualtls":
            self.count("mutualTLS")
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
            content = declared.get("content") if isinstance(declared.get("content"), dict) else {}
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


class _NoBody:
    def __repr__(self) -> str:
        return "<no body>"


_NO_BODY = _NoBody()


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
    schema = media.get("schema") if isinstance(media.get("schema"), dict) else {}
    xml = schema.get("xml") if isinstance(schema.get("xml"), dict) else {}
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
