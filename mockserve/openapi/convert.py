"""An OpenAPI 3.0/3.1 document as a mockserve spec (a plain dict in the spec format).

One route per operation. Its parameters and request body become the route's contract;
its responses become a `responses` list whose `when` conditions pick the answer the
way an OpenAPI mock is expected to: a missing credential gets 401, `Prefer: code=...`
and `Prefer: example=...` pick a declared response, `Accept` picks a media type (406
when none fits), and otherwise the lowest 2xx answers. Bodies are fixed here, at
conversion time, so serving the document and serving its import give the same answers.
"""

from __future__ import annotations

import re
from typing import Any

from ..pointer import unescape_token
from ..styles import COOKIE, STYLE, annotation
from .callbacks import document_webhooks, route_callbacks
from .dialect import schema_name_ref
from .document import bare_media, clean_path, member, quote
from .path_items import path_item_routes
from .security import SecurityConversion
from .terms import METHODS, is_json_media

_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")
_STRUCTURED = ("application/x-www-form-urlencoded", "multipart/form-data")
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}


_PAIR = re.compile(r"^([A-Za-z0-9_.\[\]-]+)(?:=(.*))?$")


def _selector(key: str) -> str | None:
    """The `when` that tells an operation apart by its path key, None for a plain key.

    What follows `?` or `#` is pairs joined by `&`: `/?Action=X`, `/#X-Amz-Target=Svc.Op`,
    `/#Action=X&Version=2`. Each `name=value` must hold, wherever the client sends the
    name (a header, the query, a form body: `param`); a bare `name` or a templated value
    (`city_id={city_id}`) only needs the name sent. Equalities come first, so a route of
    many operations picks by the first in one lookup (spec/selection.py).
    """
    marks = [i for i in (key.find("?"), key.find("#")) if i >= 0]
    if not marks:
        return None
    equal: list[str] = []
    present: list[str] = []
    for piece in re.split(r"[&#?]", key[min(marks) + 1 :]):
        found = _PAIR.match(piece.strip())
        if not piece.strip() or found is None:
            continue
        name, value = found.group(1), found.group(2)
        if value is None or value == "" or _TEMPLATE.search(value):
            present.append(f"param({quote(name)}) is not none")
        else:
            equal.append(f"param({quote(name)}) == {quote(value)}")
    return " and ".join(equal + present) or None


def _chosen_by(group: list[tuple[str | None, dict[str, Any]]]) -> dict[str, Any]:
    """One route for operations at one URL, each answering when its selector holds.

    The operation asking most of the request is tried first, and one whose key names
    nothing (a plain path) answers last, when no other holds. Their contracts differ,
    so the shared route checks none of them (a load warning says so); no selector
    holding is the usual 404 naming the conditions.
    """
    first = group[0][1]
    route: dict[str, Any] = {"method": first["method"], "path": first["path"], "responses": []}
    ordered = sorted(group, key=lambda pair: (pair[0] is None, -(pair[0] or "").count("param(")))
    for selector, operation in ordered:
        for answer in operation["responses"]:
            when = answer.get("when")
            if selector is None:
                route["responses"].append(answer)
                continue
            condition = f"{selector} and ({when})" if when else selector
            route["responses"].append({**answer, "when": condition})
    return route


class Converter(SecurityConversion):
    """Turns one parsed document into a spec dict and a list of warnings."""

    # -- the document ------------------------------------------------------------------

    def spec(self, *, later: bool = False) -> dict[str, Any]:
        """The spec dict; with `later`, routes hold only name, method and path until `complete`."""
        document = self.document
        info = member(document, "info")
        routes: list[dict[str, Any]] = []
        # (method, URL) -> where first seen, and the operations a value in the key picks
        seen: dict[tuple[str, str], tuple[str, list[Any]]] = {}
        names: set[str] = set()
        paths = member(document, "paths")
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
                    first, group = seen[(method, signature)]
                    if selector is not None or all(chosen for chosen, _ in group):
                        group.append((selector, route))  # one plain key at most: the last
                        continue
                    self.warn(f"{where}: same URL as {first}; skipped")
                    continue
                seen[(method, signature)] = (where, [(selector, route)])
                routes.append(route)
        for _, group in seen.values():
            if group and len(group) > 1:
                head = group[0][1]
                self.warn(
                    f"{head['method']} {head['path']}: {len(group)} operations told apart by "
                    "a value in their path key share one route; their contracts are not checked"
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
            if id(route) in self._groups:  # operations told apart by a value in their path key
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
        responses = [self.deref(r, where) for r in member(operation, "responses").values()]
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


def _read_only(schema: Any) -> set[str]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return set()
    return {n for n, p in properties.items() if isinstance(p, dict) and p.get("readOnly") is True}


def convert_document(
    document: dict[str, Any], *, seed: int | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The spec dict for an OpenAPI document, and what of it is not served."""
    converter = Converter(document, seed=seed)
    spec = converter.spec()
    return spec, converter.warnings()
