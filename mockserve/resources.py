"""Resources: stateful collections served with full CRUD, their items in a resource store.

Each resource is a Blueprint of six routes, named like unnamed spec routes (`GET /pets`,
`POST /pets`, `GET|PUT|PATCH|DELETE /pets/{id}`). Every change is one atomic step of the
store that replaces the collection's list instead of editing it, so concurrent requests
never lose an update and a template reading `resources.pets` sees one consistent list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Blueprint, request
from werkzeug.wrappers import Response

from .contract import Failure, parse_body, schema_failures
from .draws import RandomSource
from .errors import Problem
from .exchange import current_exchange
from .media import is_json_media, media_type
from .pointer import json_pointer
from .problems import json_response, no_content
from .report import failures_text
from .spec.model import Resource
from .spec.rules import resource_paths
from .stores import ResourceStore

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
    variable = resource.key if _IDENTIFIER.match(resource.key) else "key"
    item_rule = f"{resource.path}/<{variable}>"
    return [
        ResourceRoute(
            f"{method} {path}",
            method,
            path,
            resource.path if path == resource.path else item_rule,
            action,
        )
        for method, path, action in resource_paths(resource.path, resource.key)
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


class Collection:
    """The views of one resource; its items live in the resource store."""

    def __init__(self, resource: Resource, store: ResourceStore, helpers: RandomSource, cors: bool):
        self.resource = resource
        self.store = store
        self.helpers = helpers
        self.cors = cors
        self.name = resource.name
        self.key = resource.key
        self.routes = {route.action: route for route in resource_routes(resource)}

    def view(self, action: str) -> Callable[..., Response]:
        """The Flask view for one action; it records which route answered."""
        handlers: dict[str, Callable[..., Response]] = {
            "list": self.list_items,
            "create": self.create_item,
            "read": self.read_item,
            "replace": self.replace_item,
            "update": self.update_item,
            "delete": self.delete_item,
        }
        handler = handlers[action]
        route_name = self.routes[action].name

        def view(**path_values: str) -> Response:
            current_exchange().route = route_name
            self.helpers.draw_for(route_name)
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
            raise self._invalid("list", failures)
        filters = [(field, values) for field, values in request.args.lists() if field not in PAGING]
        items = self.store.items(self.name)
        chosen = [item for item in items if all(_matches(item, f, v) for f, v in filters)]
        start = paging.get("offset", 0)
        end = start + paging["limit"] if "limit" in paging else None
        response = json_response(chosen[start:end])
        response.headers["X-Total-Count"] = str(len(chosen))
        self._expose(response)
        return response

    def create_item(self) -> Response:
        """Store a new item (201, Location: path/KEY); a missing key is generated."""
        body = self._body("create")

        def create(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
            keys = [existing.get(self.key) for existing in items]
            taken = {as_text(key) for key in keys}
            item = dict(body)
            if self.key not in item:
                item = {self.key: self._new_key(keys, taken, item), **item}
            failures = self._key_failures(item) + self._schema_failures(item)
            if failures:
                raise self._invalid("create", failures)
            text = as_text(item[self.key])
            if text in taken:
                raise Problem(
                    409,
                    f"{self.name} already has an item with {self.key} {text}",
                    route=self.routes["create"].name,
                )
            return [*items, item], item

        # A shared store may retry `create`: a generated key is drawn the same each time.
        item = self.store.change(self.name, self.helpers.repeatable(create))
        response = json_response(item, 201)
        location = quote(as_text(item[self.key]), safe="")
        response.headers["Location"] = f"{self.resource.path}/{location}"
        self._expose(response)
        return response

    def read_item(self, segment: str) -> Response:
        found = self._find(self.store.items(self.name), segment)
        if found is None:
            raise self._missing("read", segment)
        return json_response(found[1])

    def replace_item(self, segment: str) -> Response:
        """PUT: the body becomes the item; the URL's key stays."""
        return self._change("replace", segment, lambda old, body: {self.key: old[self.key], **body})

    def update_item(self, segment: str) -> Response:
        """PATCH: the body's top-level fields are merged into the item; the URL's key stays."""
        return self._change("update", segment, lambda old, body: {**old, **body})

    def delete_item(self, segment: str) -> Response:
        def delete(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], None]:
            found = self._find(items, segment)
            if found is None:
                raise self._missing("delete", segment)
            index = found[0]
            return items[:index] + items[index + 1 :], None

        self.store.change(self.name, delete)
        return no_content()

    # -- the pieces ----------------------------------------------------------------

    def _change(
        self,
        action: str,
        segment: str,
        merge: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
    ) -> Response:
        try:
            body, invalid = self._body(action), None
        except Problem as problem:
            body, invalid = {}, problem

        def change(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
            found = self._find(items, segment)
            if found is None:
                raise self._missing(action, segment)  # a missing item says more than its body
            if invalid is not None:
                raise invalid
            index, old = found
            item = merge(old, body)
            item[self.key] = old[self.key]
            failures = self._schema_failures(item)
            if failures:
                raise self._invalid(action, failures)
            return [*items[:index], item, *items[index + 1 :]], item

        return json_response(self.store.change(self.name, change))

    def _find(self, items: list[dict[str, Any]], segment: str) -> tuple[int, dict[str, Any]] | None:
        for index, item in enumerate(items):
            if as_text(item.get(self.key)) == segment:
                return index, item
        return None

    def _body(self, action: str) -> dict[str, Any]:
        """The request body as a JSON object, else the 422 saying why it is not one."""
        declared = request.content_type
        kind = media_type(declared)
        if kind and not is_json_media(kind):
            message = f"Content-Type must be application/json, got {declared}"
            raise self._invalid(
                action, [{"in": "headers", "path": "/content-type", "message": message}]
            )
        raw = request.get_data(cache=True)
        if not raw:
            raise self._invalid(
                action, [{"in": "body", "path": "", "message": "a request body is required"}]
            )
        parsed = parse_body(raw, "application/json")
        if parsed.failures:
            raise self._invalid(action, parsed.failures)
        if not isinstance(parsed.value, dict):
            message = f"the item must be a JSON object, got {_json_type(parsed.value)}"
            raise self._invalid(action, [{"in": "body", "path": "", "message": message}])
        return parsed.value

    def _key_failures(self, item: dict[str, Any]) -> list[Failure]:
        """A key must be one URL segment: a number, or text without a slash."""
        value = item[self.key]
        pointer = json_pointer([self.key])
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
            fresh = self.helpers.uuid()
            if fresh not in taken:
                return fresh
        raise RuntimeError(f"could not find a free key for {self.name}")

    def _accepts_key(self, item: dict[str, Any], key: Any) -> bool:
        """False when the schema refuses `key` as the key field (e.g. it says type: string)."""
        if self.resource.validator is None:
            return True
        errors = self.resource.validator.iter_errors({**item, self.key: key})
        return not any(list(error.absolute_path)[:1] == [self.key] for error in errors)

    def _invalid(self, action: str, failures: list[Failure]) -> Problem:
        """The 422 for an item that would break the resource; a violation, like a contract's."""
        return Problem(
            422,
            "invalid request",
            route=self.routes[action].name,
            errors=failures,
            violation=failures_text(failures),
        )

    def _missing(self, action: str, segment: str) -> Problem:
        return Problem(
            404,
            f"{self.name} has no item with {self.key} {segment}",
            route=self.routes[action].name,
        )

    def _expose(self, response: Response) -> None:
        """Let a browser's script read X-Total-Count and Location, credentials or not."""
        if self.cors:
            response.headers["Access-Control-Expose-Headers"] = "X-Total-Count, Location"


def _matches(item: dict[str, Any], field: str, wanted: list[str]) -> bool:
    """True when the field, as text, is one of the wanted values (for a list: holds one)."""
    if field not in item:
        return False
    value = item[field]
    values = value if isinstance(value, list) else [value]
    return any(as_text(v) in wanted for v in values)


def resource_blueprint(
    resource: Resource, store: ResourceStore, helpers: RandomSource, *, index: int, cors: bool
) -> Blueprint:
    """A resource's six CRUD routes, registered like spec routes."""
    collection = Collection(resource, store, helpers, cors)
    blueprint = Blueprint(f"mockserve_resource_{index}", __name__)
    for route in collection.routes.values():
        blueprint.add_url_rule(
            route.rule,
            endpoint=route.action,
            view_func=collection.view(route.action),
            methods=[route.method],
        )
    return blueprint
