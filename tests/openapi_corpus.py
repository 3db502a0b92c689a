"""Helpers for tests over the real OpenAPI documents in shared/corpus/openapi.

Requests are built from the document itself (not from the spec mockserve made of it),
and answers are checked with openapi-schema-validator against the document's own
schemas, so the tests do not grade mockserve's conversion with itself.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator, OAS31Validator

from mockserve.openapi.convert import clean_path
from mockserve.openapi.dialect import Dialect
from mockserve.openapi.generate import CannotGenerate, Generator
from mockserve.openapi.terms import METHODS

CLONE = Path(__file__).resolve().parent.parent


def find_corpus() -> Path | None:
    """shared/corpus/openapi beside the clone (CI) or above the worktree."""
    here = Path(__file__).resolve().parent
    for folder in (here, *here.parents):
        for candidate in (folder / "shared" / "corpus" / "openapi",):
            if candidate.is_dir():
                return candidate
    return None


CORPUS = find_corpus()
MISSING = (
    "the OpenAPI corpus is missing: these tests need the project's shared/ folder beside "
    f"the clone, so that {CLONE.parent / 'shared' / 'corpus' / 'openapi'} exists (CI lays "
    "it there; a folder further up is found too)"
)
# Without the corpus each test still runs, once, and fails saying what is missing.
DOCUMENTS = (
    sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".json", ".yaml"))
    if CORPUS
    else ["corpus-missing"]
)


@pytest.fixture
def corpus() -> Path:
    """The corpus folder: a test that needs it fails without it, never skips."""
    if CORPUS is None:
        pytest.fail(MISSING, pytrace=False)
    return CORPUS


needs_corpus = pytest.mark.usefixtures("corpus")
LARGE = {
    "github-api.github.com.json",
    "apisguru-kubernetes.json",
    "stripe-spec3.yaml",
    "openai.yaml",
    "discord.json",
}


def read_document(name: str) -> dict[str, Any]:
    import yaml

    text = (CORPUS / name).read_text("utf-8")
    if name.endswith(".json"):
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class Operation:
    """One operation of a document, and how to call it."""

    def __init__(
        self,
        document: dict[str, Any],
        key: str,
        method: str,
        item: dict[str, Any],
        operation: dict[str, Any],
    ):
        self.document = document
        self.key = key
        self.method = method.upper()
        self.item = item
        self.operation = operation

    def __repr__(self) -> str:
        return f"{self.method} {self.key}"

    def deref(self, node: Any) -> Any:
        for _ in range(20):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            target: Any = self.document
            for raw in node["$ref"][2:].split("/"):
                part = unquote(raw).replace("~1", "/").replace("~0", "~")
                target = target[int(part)] if isinstance(target, list) else target[part]
            node = target
        return node

    def responses(self) -> dict[str, Any]:
        return {
            str(k).upper(): self.deref(v)
            for k, v in (self.operation.get("responses") or {}).items()
        }

    def expected_status(self) -> int:
        codes = list(self.responses())
        two = sorted(c for c in codes if c.isdigit() and c.startswith("2"))
        if two:
            return int(two[0])
        if "2XX" in codes or "DEFAULT" in codes:
            return 200
        if codes:
            return int(codes[0]) if codes[0].isdigit() else int(codes[0][0]) * 100
        return 204

    def expected_code(self) -> str | None:
        codes = list(self.responses())
        two = sorted(c for c in codes if c.isdigit() and c.startswith("2"))
        return (
            two[0]
            if two
            else "2XX"
            if "2XX" in codes
            else "DEFAULT"
            if "DEFAULT" in codes
            else (codes[0] if codes else None)
        )

    def parameters(self) -> list[dict[str, Any]]:
        merged = {}
        for raw in list(self.item.get("parameters") or []) + list(
            self.operation.get("parameters") or []
        ):
            parameter = self.deref(raw)
            merged[(parameter["name"], parameter["in"])] = parameter
        return list(merged.values())


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation, the later of two with the same URL left out (mockserve skips it)."""
    result, seen = [], set()
    for key, item in (document.get("paths") or {}).items():
        item = Operation(document, key, "get", {}, {}).deref(item)
        signature = re.sub(r"\{[^{}]*\}", "{}", clean_path(key))
        for method in METHODS:
            if isinstance(item.get(method), dict) and (method, signature) not in seen:
                seen.add((method, signature))
                result.append(Operation(document, key, method, item, item[method]))
    return result


class RequestMaker:
    """Valid requests for a document's operations, values made from its schemas."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.dialect = Dialect(
            str(document.get("openapi")).startswith("3.1"),
            lambda m: None,
            lambda ref: Operation(document, "", "get", {}, {}).deref({"$ref": ref}),
        )
        schemas = (document.get("components") or {}).get("schemas") or {}
        self.generator = Generator(
            {n: self.dialect.convert(s, n) for n, s in schemas.items()}, seed=7
        )
        self.generator.answers = False  # requests: writeOnly properties too

    def value(self, schema: Any) -> Any:
        self.generator.notes = []
        value = self.generator.value(self.dialect.convert(schema or {}, "test"))
        if any("overlap" in note for note in self.generator.notes):
            # an answer may follow the first of overlapping options; a valid request cannot
            raise CannotGenerate("no value fits exactly one option")
        return value

    def request(self, op: Operation) -> dict[str, Any] | None:
        """`requests` arguments for a valid call of `op`, or None when one cannot be made."""
        path = clean_path(op.key)
        params: dict[str, Any] = {}
        headers: dict[str, str] = {}
        try:
            for parameter in op.parameters():
                schema = parameter.get("schema") or {}
                where, name = parameter["in"], parameter["name"]
                if where == "path":
                    value = _text(self.value(schema))
                    if "/" in value or not value:
                        return None
                    path = path.replace("{" + name + "}", quote(value, safe=""))
                elif where == "query" and parameter.get("required"):
                    params[name] = _query_value(self.value(schema))
                elif (
                    where == "header"
                    and parameter.get("required")
                    and name.lower() not in ("accept", "content-type", "authorization")
                ):
                    headers[name] = _text(self.value(schema))
            kwargs: dict[str, Any] = {"params": params, "headers": headers}
            body = op.deref(op.operation.get("requestBody"))
            if isinstance(body, dict) and body.get("content"):
                if not self._body(body, kwargs):
                    return None
        except CannotGenerate:
            return None
        if "{" in path:
            return None
        if not self._credentials(op, kwargs):
            return None
        kwargs["path"] = path
        return kwargs

    def _body(self, body: dict[str, Any], kwargs: dict[str, Any]) -> bool:
        content = {k.split(";")[0].strip(): v for k, v in body["content"].items()}
        for media, obj in content.items():
            if "json" in media and media != "*/*" and "schema" in (obj or {}):
                kwargs["data"] = json.dumps(self.value(obj["schema"]))
                kwargs["headers"]["Content-Type"] = media
                return True
        for media, obj in content.items():
            if media == "application/x-www-form-urlencoded":
                value = self.value((obj or {}).get("schema"))
                if not isinstance(value, dict) or any(
                    isinstance(v, (dict, list)) for v in value.values()
                ):
                    return False
                kwargs["data"] = {k: _text(v) for k, v in value.items()}
                return True
        if not content or "schema" not in (next(iter(content.values())) or {}):
            media = next(iter(content), "application/octet-stream")
            kwargs["data"] = b"payload"
            kwargs["headers"]["Content-Type"] = (
                "application/octet-stream" if "*" in media else media
            )
            return True
        return False

    def _credentials(self, op: Operation, kwargs: dict[str, Any]) -> None:
        requirements = op.operation.get("security", self.document.get("security")) or []
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}

        def usable(requirement):  # waitress drops header names with "_" (e.g. api_key)
            return not any(
                "_" in str((schemes.get(n) or {}).get("name", ""))
                and (schemes.get(n) or {}).get("in") == "header"
                for n in requirement
            )

        if requirements and not any(usable(r) for r in requirements):
            return False
        for requirement in [r for r in requirements if usable(r)][:1]:
            for name in requirement:
                scheme = schemes.get(name) or {}
                kind = str(scheme.get("type", "")).lower()
                if kind == "http" and str(scheme.get("scheme")).lower() == "basic":
                    kwargs["headers"]["Authorization"] = (
                        "Basic " + base64.b64encode(b"user:pass").decode()
                    )
                elif kind in ("http", "oauth2", "openidconnect"):
                    kwargs["headers"]["Authorization"] = "Bearer token"
                elif kind == "apikey":
                    where = scheme.get("in")
                    if where == "query":
                        kwargs["params"][scheme["name"]] = "key"
                    elif where == "cookie":
                        kwargs["headers"]["Cookie"] = f"{scheme['name']}=key"
                    else:
                        kwargs["headers"][scheme["name"]] = "Bearer key"
        return True


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _query_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_text(v) for v in value]
    return _text(value)


def response_validator(document: dict[str, Any], op: Operation, code: str, media: str):
    """A validator for the declared response schema, refs resolved in the document itself."""
    pointer = "/".join(
        p.replace("~", "~0").replace("/", "~1")
        for p in ("paths", op.key, op.method.lower(), "responses")
    )
    response = op.operation["responses"].get(code) or op.operation["responses"].get(code.lower())
    if response is None:
        response = op.operation["responses"].get(int(code)) if code.isdigit() else None
    target = "#/" + pointer + "/" + str(code if code in op.operation["responses"] else code.lower())
    if isinstance(response, dict) and "$ref" in response:
        target = response["$ref"]
        response = op.deref(response)
    media_key = media.replace("~", "~0").replace("/", "~1")
    root = _without_discriminators(document)
    root["$ref"] = f"{target}/content/{media_key}/schema"
    cls = OAS31Validator if str(document.get("openapi")).startswith("3.1") else OAS30Validator
    # `discriminator` without a mapping names schemas by the property's value, which
    # real documents (spotify: type "track" vs schema TrackObject) do not follow.
    return extend(cls, {"discriminator": _ignore})(root)


_PLAIN: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}


def _without_discriminators(document: dict[str, Any]) -> dict[str, Any]:
    cached = _PLAIN.get(id(document))
    if cached is None or cached[0] is not document:  # ids are reused once a document is freed
        cached = _PLAIN[id(document)] = (document, _strip(document))
    return dict(cached[1])


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _ignore(validator, value, instance, schema):
    return iter(())
