"""Resources: stateful collections served with full CRUD, their items kept in the Store.

Each resource gets six routes, named like unnamed spec routes (`GET /pets`, `POST /pets`,
`GET|PUT|PATCH|DELETE /pets/{id}`). Every change happens under the store's lock and
replaces the collection's list instead of editing it, so concurrent requests never lose
an update and a template reading `resources.pets` always sees one consistent list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Flask, request
from werkzeug.wrappers import Response

from .app import FAILURES_KEY, ROUTE_KEY, VIOLATION_KEY, Runtime
from .contract import Failure, media_type, parse_body, schema_failures
from .matching import RouteShape
from .report import failures_text
from .responses import dump_json
from .spec.model import Resource

PAGING = ("limit", "offset")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_TRIES = 100  # fresh keys tried before giving up (only a crowded uuid space gets there)


@dataclass(frozen=True)
class ResourceRoute:
    """One of a resource's routes, as `GET /routes` and the 404's near misses show it."""

    name: str
    method: str
    path: str  # as users read it: /pets/{id}
    rule: str  # as Werkzeug reads it: /pets/<id>
    action: str  # list | create | read | replace | update | delete


def resource_routes(resource: Resource) -> list[ResourceRoute]:
    """The six routes a resource answers, in the order the spec format lists them."""
    item_path = f"{resource.path}/{{{resource.key}}}"
    variable = resource.key if _IDENTIFIER.match(resource.key) else "key"
    item_rule = f"{resource.path}/<{variable}>"
    table = [
        ("GET", resource.path, resource.path, "list"),
        ("POST", resource.path, resource.path, "create"),
        ("GET", item_path, item_rule, "read"),
        ("PUT", item_path, item_rule, "replace"),
        ("PATCH", item_path, item_rule, "update"),
        ("DELETE", item_path, item_rule, "delete"),
    ]
    return [
        ResourceRoute(f"{method} {path}", method, path, rule, action)
        for method, path, rule, action in table
    ]


def as_text(value: Any) -> str:
    """A field's value as the text a URL would carry: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # the same text as JSON's, without the encoder's cost
    return json.dumps(value, ensure_ascii=False)


def _json_type(value: Any) -> str:
    for kind, name in (
        (bool, "a boolean"),
        (dict, "an object"),
        (list, "an array"),
        (str, "a string"),
        (int, "an integer"),
        (float, "a number"),
    ):
        if isinstance(value, kind):
            return name
    return "null"


def json_response(value: Any, status: int = 200) -> Response:
    return Response(dump_json(value), status=status, content_type="application/json")


def no_content() -> Response:
    """A 204 with no body and so no Content-Type."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


class Collection:
    """The views of one resource; they read and change `store.resources[NAME]`."""

    def __init__(self, runtime: Runtime, resource: Resource):
        self.runtime = runtime
        self.resource = resource
        self.name = resource.name
        self.key = resource.key
        self.routes = {route.action: route for route in resource_routes(resource)}

    @property
    def store(self):
        return self.runtime.store

    def view(self, action: str) -> Callable[..., Response]:
        """The Flask view for one action; it records which route answered."""
        handler = {
            "list": self.list_items,
            "create": self.create_item,
            "read": self.read_item,
            "replace": self.replace_item,
            "update": self.update_item,
            "delete": self.delete_item,
        }[action]
        route_name = self.routes[action].name

        def view(**path_values: str) -> Response:
            request.environ[ROUTE_KEY] = route_name
            segment = next(iter(path_values.values()), None)
            return handler(segment) if segment is not None else handler()

        view.__name__ = f"{self.name}_{action}"
        return view

    # -- the six actions -----------------------------------------------------------

    def list_items(self) -> Response:
        """The items, filtered by every query parameter but limit/offset, then paged."""
        failures = []
        paging = {}
        for name in PAGING:
            raw = request.args.get(name)
            if raw is None:
                continue
            if not raw.isdigit():
                failures.append(
                    {
                        "in": "query",
                        "path": f"/{name}",
                        "message": f"{name} must be a whole number (0 or more), got {raw!r}",
                    }
                )
            else:
                paging[name] = int(raw)
        if failures:
            return self._invalid("list", failures)
        filters = [(field, values) for field, values in request.args.lists() if field not in PAGING]
        with self.store.lock:
            items = self.store.resources[self.name]
        chosen = [item for item in items if all(_matches(item, f, v) for f, v in filters)]
        start = paging.get("offset", 0)
        end = start + paging["limit"] if "limit" in paging else None
        response = json_response(chosen[start:end])
        response.headers["X-Total-Count"] = str(len(chosen))
        self._expose(response)
        return response

    def create_item(self) -> Response:
        """Store a new item (201, Location: path/KEY); a missing key is generated."""
        body, failures = self._body()
        if failures:
            return self._invalid("create", failures)
        with self.store.lock:
            items = self.store.resources[self.name]
            keys = [existing.get(self.key) for existing in items]
            taken = {as_text(key) for key in keys}
            item = dict(body)
            if self.key not in item:
                item = {self.key: self._new_key(keys, taken, item), **item}
            failures = self._key_failures(item) + self._schema_failures(item)
            if failures:
                return self._invalid("create", failures)
            text = as_text(item[self.key])
            if text in taken:
                return self.runtime.error(
                    409,
                    f"{self.name} already has an item with {self.key} {text}",
                    route=self.routes["create"].name,
                    errors=[],
                )
            self.store.resources[self.name] = [*items, item]
        response = json_response(item, 201)
        response.headers["Location"] = f"{self.resource.path}/{quote(text, safe='')}"
        self._expose(response)
        return response

    def read_item(self, segment: str) -> Response:
        with self.store.lock:
            found = self._find(self.store.resources[self.name], segment)
        if found is None:
            return self._missing("read", segment)
        return json_response(found[1])

    def replace_item(self, segment: str) -> Response:
        """PUT: the body becomes the item; the URL's key stays."""
        return self._change("replace", segment, lambda old, body: {self.key: old[self.key], **body})

    def update_item(self, segment: str) -> Response:
        """PATCH: the body's top-level fields are merged into the item; the URL's key stays."""
        return self._change("update", segment, lambda old, body: {**old, **body})

    def delete_item(self, segment: str) -> Response:
        with self.store.lock:
            items = self.store.resources[self.name]
            found = self._find(items, segment)
            if found is not None:
                index = found[0]
                self.store.resources[self.name] = items[:index] + items[index + 1 :]
        if found is None:
            return self._missing("delete", segment)
        return no_content()

    # -- the pieces ----------------------------------------------------------------

    def _change(
        self,
        action: str,
        segment: str,
        merge: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
    ) -> Response:
        body, failures = self._body()
        with self.store.lock:
            items = self.store.resources[self.name]
            found = self._find(items, segment)
            if found is None:
                return self._missing(action, segment)
            if failures:
                return self._invalid(action, failures)
            index, old = found
            item = merge(old, body)
            item[self.key] = old[self.key]
            failures = self._schema_failures(item)
            if failures:
                return self._invalid(action, failures)
            self.store.resources[self.name] = [*items[:index], item, *items[index + 1 :]]
        return json_response(item)

    def _find(self, items: list[dict[str, Any]], segment: str) -> tuple[int, dict[str, Any]] | None:
        for index, item in enumerate(items):
            if as_text(item.get(self.key)) == segment:
                return index, item
        return None

    def _body(self) -> tuple[dict[str, Any], list[Failure]]:
        """The request body as a JSON object, or why it is not one."""
        declared = request.content_type
        kind = media_type(declared)
        if kind and kind != "application/json" and not kind.endswith("+json"):
            message = f"Content-Type must be application/json, got {declared}"
            return {}, [{"in": "headers", "path": "/content-type", "message": message}]
        raw = request.get_data(cache=True)
        if not raw:
            return {}, [{"in": "body", "path": "", "message": "a request body is required"}]
        parsed = parse_body(raw, "application/json")
        if parsed.failures:
            return {}, parsed.failures
        if not isinstance(parsed.value, dict):
            message = f"the item must be a JSON object, got {_json_type(parsed.value)}"
            return {}, [{"in": "body", "path": "", "message": message}]
        return parsed.value, []

    def _key_failures(self, item: dict[str, Any]) -> list[Failure]:
        """A key must be one URL segment: a number, or text without a slash."""
        value = item[self.key]
        pointer = "/" + self.key.replace("~", "~0").replace("/", "~1")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            message = f"the key {self.key!r} must be a string or a number, got {_json_type(value)}"
        elif isinstance(value, str) and (not value or "/" in value):
            message = f"the key {self.key!r} must be non-empty text without '/', got {value!r}"
        else:
            return []
        return [{"in": "body", "path": pointer, "message": message}]

    def _schema_failures(self, item: dict[str, Any]) -> list[Failure]:
        if self.resource.validator is None:
            return []
        return schema_failures(self.resource.validator, item, "body")

    def _new_key(self, keys: list[Any], taken: set[str], item: dict[str, Any]) -> Any:
        """The largest integer key plus 1, or a uuid when the keys are strings."""
        numbers = [k for k in keys if isinstance(k, int) and not isinstance(k, bool)]
        if numbers or (not keys and self._accepts_key(item, 1)):
            candidate = max(numbers, default=0) + 1
            while str(candidate) in taken:
                candidate += 1
            return candidate
        for _ in range(_KEY_TRIES):
            candidate = self.runtime.helpers.uuid()
            if candidate not in taken:
                return candidate
        raise RuntimeError(f"could not find a free key for {self.name}")

    def _accepts_key(self, item: dict[str, Any], key: Any) -> bool:
        """False when the schema refuses `key` as the key field (e.g. it says type: string)."""
        if self.resource.validator is None:
            return True
        errors = self.resource.validator.iter_errors({**item, self.key: key})
        return not any(list(error.absolute_path)[:1] == [self.key] for error in errors)

    def _invalid(self, action: str, failures: list[Failure]) -> Response:
        """The 422 for an item that would break the resource; a violation, like a contract's."""
        environ = request.environ
        environ[FAILURES_KEY] = failures
        environ[VIOLATION_KEY] = failures_text(failures)
        return self.runtime.error(
            422, "invalid request", route=self.routes[action].name, errors=failures
        )

    def _missing(self, action: str, segment: str) -> Response:
        return self.runtime.error(
            404,
            f"{self.name} has no item with {self.key} {segment}",
            route=self.routes[action].name,
            errors=[],
        )

    def _expose(self, response: Response) -> None:
        """Let a browser's script read X-Total-Count and Location, credentials or not."""
        if self.runtime.spec.settings.cors is not None:
            response.headers["Access-Control-Expose-Headers"] = "X-Total-Count, Location"


def _matches(item: dict[str, Any], field: str, wanted: list[str]) -> bool:
    """True when the field, as text, is one of the wanted values (for a list: holds one)."""
    if field not in item:
        return False
    value = item[field]
    values = value if isinstance(value, list) else [value]
    return any(as_text(v) in wanted for v in values)


def register_resources(app: Flask, runtime: Runtime) -> None:
    """Add each resource's CRUD routes to the app, like spec routes are added."""
    for resource in runtime.spec.resources:
        collection = Collection(runtime, resource)
        for route in collection.routes.values():
            app.add_url_rule(
                route.rule,
                endpoint=f"mockserve.resource:{route.name}",
                view_func=collection.view(route.action),
                methods=[route.method],
            )
            runtime.shapes.append(RouteShape.of(route.name, (route.method,), route.path))
