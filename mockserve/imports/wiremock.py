"""Read WireMock stub mappings (a root or mappings folder, one file, or an export).

Each mapping is an `Entry`: its URL matcher gives the path (a regex becomes a path with
parameters plus a `matching` condition), its query/header/cookie/body patterns become
the `when` condition, `priority` orders the answers of one route, and scenarios become
`state` under the key `scenario:NAME` (WireMock's states start at "Started").
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .common import (
    ALL_METHODS,
    Dropped,
    Entry,
    Imported,
    SourceError,
    as_text,
    body_fields,
    both,
    content_type_of,
    fixture_name,
    header_ref,
    jinja,
    member,
)
from .handlebars import jsonpath, translate
from .paths import regex_path, template_path
from .routes import build_routes
from .wiremock_templates import wiremock_helper

FAULTS = {
    "CONNECTION_RESET_BY_PEER": "disconnect",
    "EMPTY_RESPONSE": "disconnect",
    "MALFORMED_RESPONSE_CHUNK": "malformed",
    "RANDOM_DATA_THEN_CLOSE": "malformed",
}
_QUIET = {"id", "uuid", "name", "persistent", "metadata", "insertionIndex"}
_MATCHERS = {"url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate"}


def looks_like(data: Any) -> bool:
    """A mapping (`request` and `response`) or an export (`mappings`)."""
    if not isinstance(data, dict):
        return False
    return isinstance(data.get("mappings"), list) or ("request" in data and "response" in data)


def _files_of(source: Path) -> tuple[list[Path], Path]:
    """The mapping files under `source` and the `__files` folder their bodies come from."""
    if source.is_dir():
        mappings = source / "mappings" if (source / "mappings").is_dir() else source
        files_dir = source / "__files" if mappings != source else source.parent / "__files"
        found = sorted(p for p in mappings.rglob("*.json") if p.is_file())
        if not found:
            raise SourceError([f"{source}: no WireMock mappings (*.json) found"])
        return found, files_dir
    parent = source.resolve().parent
    files_dir = parent.parent / "__files" if parent.name == "mappings" else parent / "__files"
    return [source], files_dir


def read(source: Path, label: str, loaded: Any | None = None) -> Imported:
    """Read every mapping under `source` (a folder or a file) in file-name order."""
    imported = Imported(data={"mockserve": 1, "title": f"Imported from {Path(label).name}"})
    entries: list[Entry] = []
    files, files_dir = _files_of(source)
    problems: list[str] = []
    for path in files:
        name = label if path == source else str(path.relative_to(source))
        if loaded is not None and path == source:
            data = loaded
        else:
            data = _load_json(path, name, problems)
            if data is None:
                continue
        if not looks_like(data):
            problems.append(f"{name}:/: not a WireMock mapping (no request and response)")
            continue
        mappings = data["mappings"] if "mappings" in data else [data]
        prefix = "/mappings/" if "mappings" in data else ""
        for index, mapping in enumerate(mappings):
            where = f"{prefix}{index}" if prefix else ""
            reader = _Mapping(name, where, files_dir, imported, problems)
            stem = Path(name).stem if len(mappings) == 1 and prefix == "" else None
            entry = reader.entry(mapping, stem)
            if entry is not None:
                entries.append(entry)
    if problems:
        raise SourceError(problems)
    imported.data["routes"] = build_routes(entries, imported)
    return imported


def _load_json(path: Path, name: str, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError:
        problems.append(f"{name}: not UTF-8 text")
    except json.JSONDecodeError as exc:
        problems.append(f"{name}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}")
    except OSError as exc:
        problems.append(f"{name}: cannot read: {exc.strerror or exc}")
    return None


class _Mapping:
    """One mapping's translation, collecting its drops and problems with their pointers."""

    def __init__(self, source: str, where: str, files: Path, out: Imported, problems: list[str]):
        self.source, self.where, self.files = source, where, files
        self.out, self.problems = out, problems

    def drop(self, pointer: str, what: str) -> None:
        self.out.dropped.append(Dropped(self.source, f"{self.where}{pointer}", what))

    def broken(self, pointer: str, what: str) -> None:
        self.problems.append(f"{self.source}:{self.where}{pointer or '/'}: {what}")

    def entry(self, mapping: Any, stem: str | None) -> Entry | None:
        if not isinstance(mapping, dict):
            self.broken("", "a mapping must be a JSON object")
            return None
        request, response = mapping.get("request"), mapping.get("response", {})
        if not isinstance(request, dict):
            self.broken("/request", "missing, or not an object")
            return None
        if not isinstance(response, dict):
            self.broken("/response", "not an object")
            return None
        method = str(request.get("method", "ANY")).upper()
        methods = ALL_METHODS if method == "ANY" else (method,)
        conditions: list[str] = []
        path = self._path(request, conditions)
        if path is None:
            return None
        self._request_patterns(request, conditions)
        answer, fault = self._response(response, mapping)
        scenario = mapping.get("scenarioName")
        if scenario is not None:
            key = member("state", f"scenario:{scenario}")
            required = mapping.get("requiredScenarioState")
            if required is not None:
                conditions.append(f"({key} or {jinja('Started')}) == {jinja(required)}")
            if mapping.get("newScenarioState") is not None:
                answer["state"] = {f"scenario:{scenario}": str(mapping["newScenarioState"])}
        for key in mapping:
            if key not in _QUIET | {"request", "response", "priority"} and not key.startswith(
                ("scenarioName", "requiredScenarioState", "newScenarioState")
            ):
                self.drop(f"/{key}", f"{key}: not carried")
        priority = mapping.get("priority", 5)
        name = mapping.get("name") or stem or f"{method} {path}"
        return Entry(
            methods=tuple(methods),
            path=path,
            name=str(name),
            origin=f"{self.source}{(':' + self.where) if self.where else ''}",
            response=answer,
            when=both(conditions),
            priority=priority if isinstance(priority, int) else 5,
            fault=fault,
            where=(self.source, self.where or "/"),
        )

    def _path(self, request: dict[str, Any], conditions: list[str]) -> str | None:
        given = [key for key in _MATCHERS if key in request]
        if len(given) > 1:
            self.broken("/request", f"more than one URL matcher: {', '.join(sorted(given))}")
            return None
        if not given:
            self.drop("/request", "any URL: served for every path below / but not / itself")
            return "/{url:path}"
        key = given[0]
        value = request[key]
        if not isinstance(value, str) or not value.startswith("/"):
            self.broken(f"/request/{key}", "must be text starting with /")
            return None
        if key == "url":
            path, _, query = value.partition("?")
            for name, item in parse_qsl(query, keep_blank_values=True):
                conditions.append(f"{member('query', name)} == {jinja(item)}")
            return path
        if key == "urlPath":
            return value
        if key == "urlPathTemplate":
            return template_path(value)
        pattern = value
        if key == "urlPattern" and "\\?" in pattern:
            pattern = pattern.split("\\?", 1)[0]
            self.drop(f"/request/{key}", "the query part of the pattern: only the path is matched")
        try:
            path, condition = regex_path(pattern)
        except re.error as exc:
            self.broken(f"/request/{key}", f"bad regular expression: {exc}")
            return None
        if condition:
            conditions.append(condition)
        return path

    def _request_patterns(self, request: dict[str, Any], conditions: list[str]) -> None:
        for part, base in (("queryParameters", "query"), ("cookies", "cookies")):
            for name, pattern in (request.get(part) or {}).items():
                self._add(conditions, member(base, name), pattern, f"/request/{part}/{name}")
        for name, pattern in (request.get("headers") or {}).items():
            self._add(conditions, header_ref(name), pattern, f"/request/headers/{name}")
        for name, pattern in (request.get("pathParameters") or {}).items():
            self._add(conditions, member("path", name), pattern, f"/request/pathParameters/{name}")
        for index, pattern in enumerate(request.get("bodyPatterns") or []):
            self._add(conditions, "request.body", pattern, f"/request/bodyPatterns/{index}")
        auth = request.get("basicAuthCredentials")
        if isinstance(auth, dict):
            token = base64.b64encode(
                f"{auth.get('username', '')}:{auth.get('password', '')}".encode()
            ).decode()
            conditions.append(f"{header_ref('Authorization')} == {jinja('Basic ' + token)}")
        known = _MATCHERS | {
            "method",
            "queryParameters",
            "cookies",
            "headers",
            "pathParameters",
            "bodyPatterns",
            "basicAuthCredentials",
        }
        for key in request:
            if key not in known:
                self.drop(f"/request/{key}", f"request matcher {key}: not carried")

    def _add(self, conditions: list[str], value: str, pattern: Any, pointer: str) -> None:
        from .wiremock_patterns import condition

        found, why = condition(value, pattern)
        if found is None:
            self.drop(pointer, why or "matcher not carried")
        else:
            conditions.append(found)
            if why:
                self.drop(pointer, why)

    def _response(
        self, response: dict[str, Any], mapping: dict[str, Any]
    ) -> tuple[dict, str | None]:
        answer: dict[str, Any] = {}
        status = response.get("status", 200)
        if status != 200:
            answer["status"] = status
        templated = "response-template" in (response.get("transformers") or [])
        headers: dict[str, str] = {}
        for name, value in (response.get("headers") or {}).items():
            if isinstance(value, list):
                if len(value) > 1:
                    self.drop(f"/response/headers/{name}", "all values but the first")
                value = value[0] if value else ""
            headers[name] = self._template(str(value), templated, f"/response/headers/{name}")
        answer.update(self._body(response, headers, templated))
        if headers:
            answer["headers"] = headers
        delay = response.get("fixedDelayMilliseconds")
        distribution = response.get("delayDistribution")
        if isinstance(distribution, dict) and distribution.get("type") == "uniform":
            answer["delay"] = {
                "min": distribution.get("lower", 0),
                "max": distribution.get("upper", 0),
            }
        elif distribution is not None:
            kind = distribution.get("type") if isinstance(distribution, dict) else distribution
            self.drop("/response/delayDistribution", f"{kind} delay distribution")
        if isinstance(delay, (int, float)) and delay > 0:
            answer["delay"] = int(delay)
        fault = None
        if "fault" in response:
            fault = FAULTS.get(str(response["fault"]))
            if fault is None:
                self.broken("/response/fault", f"unknown fault {response['fault']!r}")
        for name in ("transformers",):
            others = [t for t in response.get(name) or [] if t != "response-template"]
            if others:
                self.drop(f"/response/{name}", f"transformers {', '.join(map(str, others))}")
        handled = {
            "status", "headers", "body", "jsonBody", "base64Body", "bodyFileName",
            "fixedDelayMilliseconds", "delayDistribution", "fault", "transformers",
        }  # fmt: skip
        for key in response:
            if key not in handled:
                self.drop(f"/response/{key}", f"{key}: not carried")
        return answer, fault

    def _template(self, text: str, templated: bool, pointer: str) -> str:
        from ..templating import literal

        if not templated:
            return literal(text)
        translated, missing = translate(text, wiremock_helper)
        if missing:
            self.drop(pointer, f"template helpers {', '.join(missing)}: sent as written")
            return literal(text)
        return translated

    def _body(self, response: dict[str, Any], headers: dict[str, str], templated: bool) -> dict:
        if "jsonBody" in response:
            value = response["jsonBody"]
            if templated:
                return {"json": as_text(self._json_templates(value, "/response/jsonBody"))}
            from ..templating import literal_value

            return {"json": literal_value(value)}
        if "body" in response:
            text = self._template(str(response["body"]), templated, "/response/body")
            return body_fields(text, headers, templated=True)
        if "base64Body" in response:
            try:
                data = base64.b64decode(str(response["base64Body"]), validate=True)
            except (binascii.Error, ValueError):
                self.broken("/response/base64Body", "not base64")
                return {}
            return self._bytes(data, headers, templated, "/response/base64Body", "body")
        if "bodyFileName" in response:
            name = str(response["bodyFileName"])
            target = (self.files / name).resolve()
            try:
                data = target.read_bytes()
            except OSError:
                self.broken("/response/bodyFileName", f"no such body file: {self.files / name}")
                return {}
            return self._bytes(data, headers, templated, "/response/bodyFileName", name)
        return {}

    def _bytes(self, data: bytes, headers: dict, templated: bool, pointer: str, stem: str) -> dict:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            media = content_type_of(headers) or mimetypes.guess_type(stem)[0] or ""
            name = fixture_name(Path(stem).stem, media, self.out.fixtures)
            self.out.fixtures[name] = data
            if templated:
                self.drop(pointer, "templating of a binary body")
            return {"file": name}
        return body_fields(self._template(text, templated, pointer), headers, templated=True)

    def _json_templates(self, value: Any, pointer: str) -> Any:
        if isinstance(value, str):
            return self._template(value, True, pointer)
        if isinstance(value, dict):
            return {k: self._json_templates(v, f"{pointer}/{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self._json_templates(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        return value


__all__ = ["read", "looks_like", "jsonpath"]
