"""Read a Postman collection (v2.0, v2.1): saved examples become routes that answer them.

Each example answers at its original request's path. The examples of one request that
share a path are one route: the first is the fallback, and each other one gets a `when`
on what differs in their original requests (path values, query, headers, body).
Collection and folder variables are resolved; folder names prefix route names.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..templating import literal
from .common import (
    Dropped,
    Entry,
    Imported,
    body_fields,
    both,
    header_ref,
    jinja,
    member,
    response_headers,
)
from .routes import build_routes

_VARIABLE = re.compile(r"\{\{([^{}]+)\}\}")
_DYNAMIC = {"$guid": "uuid()", "$randomUUID": "uuid()", "$randomInt": "randint(0, 1000)"}


def looks_like(data: Any) -> bool:
    """A collection: `info` (with Postman's schema URL, or a name) and a list of `item`s."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("info"), dict)
        and isinstance(data.get("item"), list)
    )


def _variables(raw: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and item.get("key") and not item.get("disabled"):
            value = item.get("value")
            found[str(item["key"])] = "" if value is None else str(value)
    return found


class _Reader:
    def __init__(self, label: str, out: Imported):
        self.label, self.out = label, out
        self.short = label.replace("\\", "/").rsplit("/", 1)[-1]
        self.entries: list[Entry] = []

    def drop(self, pointer: str, what: str) -> None:
        self.out.dropped.append(Dropped(self.label, pointer, what))

    def resolve(self, text: str, scope: dict[str, str]) -> str:
        """Known variables replaced by their values (which may hold variables, once more)."""
        if "{{" not in text:
            return text
        for _ in range(3):
            new = _VARIABLE.sub(lambda m: scope.get(m.group(1).strip(), m.group(0)), text)
            if new == text:
                break
            text = new
        return text

    def walk(self, items: list[Any], pointer: str, scope: dict[str, str], prefix: str) -> None:
        for index, item in enumerate(items):
            where = f"{pointer}/{index}"
            if not isinstance(item, dict):
                self.drop(where, "not an item object")
                continue
            inner = {**scope, **_variables(item.get("variable"))}
            self._events(item, where)
            name = str(item.get("name") or f"item {index}")
            if isinstance(item.get("item"), list):
                if item.get("auth"):
                    self.drop(f"{where}/auth", "folder auth: requests are not checked for it")
                self.walk(item["item"], f"{where}/item", inner, f"{prefix}{name}/")
            elif "request" in item:
                self.request(item, where, inner, prefix + name)
            else:
                self.drop(where, "neither a folder nor a request")

    def _events(self, item: dict[str, Any], where: str) -> None:
        for index, event in enumerate(item.get("event") or []):
            listen = event.get("listen", "script") if isinstance(event, dict) else "script"
            script = event.get("script") if isinstance(event, dict) else None
            lines = script.get("exec") if isinstance(script, dict) else None
            if lines and any(str(line).strip() for line in lines):
                self.drop(f"{where}/event/{index}", f"{listen} script: not run")

    def request(self, item: dict[str, Any], where: str, scope: dict[str, str], name: str) -> None:
        request = item.get("request")
        if isinstance(request, str):
            request = {"url": request, "method": "GET"}
        if not isinstance(request, dict):
            self.drop(f"{where}/request", "not a request object")
            return
        if request.get("auth"):
            self.drop(f"{where}/request/auth", "auth: requests are not checked for it")
        examples = [r for r in item.get("response") or [] if isinstance(r, dict)]
        if not examples:
            self.drop(where, f"request {name!r}: no saved example to answer with; not imported")
            return
        # Examples grouped by method and path shape: each group is answered by one route.
        groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        for index, example in enumerate(item.get("response") or []):
            if not isinstance(example, dict):
                continue
            original = example.get("originalRequest")
            if isinstance(original, str):
                original = {"url": original, "method": request.get("method", "GET")}
            asked = self.asked(original if isinstance(original, dict) else request, scope)
            asked["example"] = example
            key = (asked["method"], re.sub(r"\{[^}]*\}", "{}", asked["path"]))
            groups.setdefault(key, []).append((index, asked))
        for group in groups.values():
            self.group(group, where, scope, name)

    def asked(self, request: dict[str, Any], scope: dict[str, str]) -> dict[str, Any]:
        """What an original request asked: method, path, path values, query, headers, body."""
        url = request.get("url") or ""
        values: dict[str, str] = {}
        query: dict[str, str] = {}
        if isinstance(url, dict):
            path_part = url.get("path")
            if isinstance(path_part, list):
                segments = [self.resolve(str(s), scope) for s in path_part]
            elif isinstance(path_part, str):
                segments = self.resolve(path_part, scope).split("/")
            else:
                segments = _raw_segments(self.resolve(str(url.get("raw", "")), scope))
            for pair in url.get("query") or []:
                if isinstance(pair, dict) and pair.get("key") and not pair.get("disabled"):
                    query[str(pair["key"])] = self.resolve(str(pair.get("value") or ""), scope)
            for var in url.get("variable") or []:
                if isinstance(var, dict) and var.get("key") and var.get("value") is not None:
                    values[str(var["key"])] = self.resolve(str(var["value"]), scope)
        else:
            raw = self.resolve(str(url), scope)
            segments = _raw_segments(raw)
            query = dict(parse_qsl(urlsplit(_with_scheme(raw)).query, keep_blank_values=True))
        parts = []
        for segment in segments:
            segment = unquote(segment)
            if not segment:
                continue
            if segment.startswith(":") and len(segment) > 1:
                parts.append("{" + re.sub(r"\W", "_", segment[1:]) + "}")
            elif _VARIABLE.fullmatch(segment):
                parts.append("{" + re.sub(r"\W", "_", segment[2:-2].strip()) + "}")
            else:
                parts.append(segment)
        headers = {}
        raw_headers = request.get("header") or []
        if isinstance(raw_headers, str):
            raw_headers = _header_lines(raw_headers)
        for header in raw_headers:
            if isinstance(header, dict) and header.get("key") and not header.get("disabled"):
                value = self.resolve(str(header.get("value") or ""), scope)
                headers[str(header["key"]).lower()] = (str(header["key"]), value)
        return {
            "method": str(request.get("method") or "GET").upper(),
            "path": "/" + "/".join(parts),
            "values": values,
            "query": query,
            "headers": headers,
            "body": self.body(request.get("body"), scope),
        }

    def body(self, raw: Any, scope: dict[str, str]) -> Any:
        """The request body as mockserve's `body` sees it: JSON, a form object or text."""
        if not isinstance(raw, dict):
            return None
        mode = raw.get("mode")
        if mode == "raw" and raw.get("raw"):
            text = self.resolve(str(raw["raw"]), scope)
            try:
                return ("json", json.loads(text))
            except ValueError:
                return ("text", text)
        if mode in ("urlencoded", "formdata") and raw.get(mode):
            pairs = {
                str(p["key"]): self.resolve(str(p.get("value") or ""), scope)
                for p in raw[mode]
                if isinstance(p, dict) and p.get("key") and not p.get("disabled")
            }
            return ("json", pairs) if pairs else None
        return None

    def group(
        self,
        group: list[tuple[int, dict[str, Any]]],
        where: str,
        scope: dict[str, str],
        name: str,
    ) -> None:
        first = group[0][1]
        differs = _differences([asked for _, asked in group])
        seen: dict[str, int] = {}
        for position, (index, asked) in enumerate(group):
            pointer = f"{where}/response/{index}"
            when = both(_conditions(asked, differs)) if position else None
            signature = json.dumps([when], sort_keys=True)
            if position and (when is None or signature in seen):
                self.drop(pointer, "example: its request is the same as an earlier example's")
                continue
            seen[signature] = index
            self.entries.append(
                Entry(
                    methods=(asked["method"],),
                    path=first["path"],
                    name=name,
                    origin=f"{self.short}:{pointer} ({asked['example'].get('name') or 'example'})",
                    response=self.answer(asked["example"], pointer, scope),
                    when=when,
                    priority=0 if position else 1,
                    where=(self.label, pointer),
                )
            )

    def answer(self, example: dict[str, Any], pointer: str, scope: dict[str, str]) -> dict:
        answer: dict[str, Any] = {}
        code = example.get("code", 200)
        if isinstance(code, int) and code != 200:
            answer["status"] = code
        raw_headers = example.get("header") or []
        if isinstance(raw_headers, str):
            raw_headers = _header_lines(raw_headers)
        pairs = [
            (str(h.get("key") or h.get("name") or ""), self.resolve(str(h.get("value", "")), scope))
            for h in raw_headers
            if isinstance(h, dict) and not h.get("disabled")
        ]
        headers = response_headers(pairs)
        text = example.get("body")
        if text:
            text, templated = self.dynamic(self.resolve(str(text), scope), pointer)
            guess = example.get("_postman_previewlanguage") == "json"
            answer.update(body_fields(text, headers, templated=templated, guess_json=guess))
        if headers:
            answer["headers"] = headers
        if example.get("cookie"):
            self.drop(f"{pointer}/cookie", "cookies of the example: not sent")
        return answer

    def dynamic(self, text: str, pointer: str) -> tuple[str, bool]:
        """Postman's dynamic variables with a mockserve equal as templates; others as written."""
        names = {m.group(1).strip() for m in _VARIABLE.finditer(text)}
        if not names:
            return text, False
        unknown = sorted(n for n in names if n not in _DYNAMIC)
        if unknown:
            self.drop(f"{pointer}/body", f"variables {', '.join(unknown)}: sent as written")
            return literal(text), True
        pieces = _VARIABLE.split(text)
        out = [
            literal(piece) if i % 2 == 0 else "{{ " + _DYNAMIC[piece.strip()] + " }}"
            for i, piece in enumerate(pieces)
        ]
        return "".join(out), True


def _with_scheme(raw: str) -> str:
    return raw if "://" in raw else "http://" + raw.lstrip("/")


def _raw_segments(raw: str) -> list[str]:
    raw = raw.split("?", 1)[0]
    if raw.startswith("{{"):  # {{baseUrl}}/pets: the host is a variable nobody set
        raw = raw[raw.find("}}") + 2 :] if "}}" in raw else raw
        return raw.split("/")
    return urlsplit(_with_scheme(raw)).path.split("/")


def _header_lines(text: str) -> list[dict[str, str]]:
    found = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip():
            found.append({"key": name.strip(), "value": value.strip()})
    return found


def _differences(requests: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Which path values, query parameters and headers differ among the examples' requests."""
    differs: dict[str, set[str]] = {"values": set(), "query": set(), "headers": set()}
    for part in differs:
        names = {name for asked in requests for name in asked[part]}
        for name in names:
            if len({json.dumps(asked[part].get(name)) for asked in requests}) > 1:
                differs[part].add(name)
    if len({json.dumps(asked["body"]) for asked in requests}) > 1:
        differs["body"] = {"body"}
    return differs


def _conditions(asked: dict[str, Any], differs: dict[str, set[str]]) -> list[str]:
    conditions = []
    for name in sorted(differs["values"]):
        value = asked["values"].get(name)
        if value is not None:
            conditions.append(f"({member('path', name)} | string) == {jinja(value)}")
    for name in sorted(differs["query"]):
        value = asked["query"].get(name)
        ref = member("query", name)
        conditions.append(f"{ref} is not defined" if value is None else f"{ref} == {jinja(value)}")
    for name in sorted(differs["headers"]):
        found = asked["headers"].get(name)
        ref = header_ref(found[0] if found else name)
        conditions.append(
            f"{ref} is not defined" if found is None else f"{ref} == {jinja(found[1])}"
        )
    if "body" in differs:
        body = asked["body"]
        if body is None:
            conditions.append("not request.body")
        elif body[0] == "json":
            conditions.append(f"body == {jinja(body[1])}")
        else:
            conditions.append(f"request.body == {jinja(body[1])}")
    return conditions


def read(data: dict[str, Any], label: str) -> Imported:
    """Every request with saved examples, in the collection's order."""
    info = data["info"]
    title = str(info.get("name") or "Postman collection")
    imported = Imported(data={"mockserve": 1, "title": title})
    reader = _Reader(label, imported)
    scope = {**_variables(data.get("variables")), **_variables(data.get("variable"))}
    reader._events(data, "")
    if data.get("auth"):
        reader.drop("/auth", "collection auth: requests are not checked for it")
    reader.walk(data["item"], "/item", scope, "")
    imported.data["routes"] = build_routes(reader.entries, imported)
    return imported
