"""Whether the backend's answer agrees with the spec's: status, media type, the headers
the spec sets, and the JSON shape (inferred from the spec's answer, or declared)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from ..media import is_json_media, media_type
from ..pointer import escape_token, json_pointer
from ..spec.model import ResponseTemplate


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
    from ..openapi.convert import Converter, clean_path
    from ..openapi.terms import METHODS

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
