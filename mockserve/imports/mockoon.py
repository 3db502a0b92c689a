"""Read a Mockoon environment: routes, their responses and rules, latency, headers, files, CRUD.

Mockoon picks the first response whose rules hold, else the default one: each response
with rules becomes a `when` branch in order, the default the fallback. Random and
sequential routes become `order: random` and `order: cycle`; CRUD routes over a data
bucket become `resources` seeded with the bucket's JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..templating import literal
from .common import (
    ALL_METHODS,
    Dropped,
    Entry,
    Imported,
    SourceError,
    body_fields,
    content_type_of,
    fixture_name,
    response_headers,
)
from .handlebars import translate
from .mockoon_rules import mockoon_helper, rules_condition
from .paths import colon_path
from .routes import build_routes

_MODES = {"RANDOM": "random", "SEQUENTIAL": "cycle"}


def looks_like(data: Any) -> bool:
    """An environment: `routes` beside Mockoon's `lastMigration` or `endpointPrefix`."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("routes"), list)
        and ("lastMigration" in data or "endpointPrefix" in data)
    )


class _Reader:
    def __init__(self, data: dict[str, Any], label: str, base: Path, out: Imported):
        self.data, self.label, self.base, self.out = data, label, base, out
        self.short = label.replace("\\", "/").rsplit("/", 1)[-1]
        prefix = str(data.get("endpointPrefix") or "").strip("/")
        self.prefix = f"/{prefix}" if prefix else ""
        self.env_headers = [
            (str(h.get("key") or ""), str(h.get("value") or ""))
            for h in data.get("headers") or []
            if isinstance(h, dict)
        ]
        self.buckets = {str(b.get("id")): b for b in data.get("data") or [] if isinstance(b, dict)}

    def drop(self, pointer: str, what: str) -> None:
        self.out.dropped.append(Dropped(self.label, pointer, what))

    def environment(self) -> list[Entry]:
        settings: dict[str, Any] = {}
        if self.data.get("cors"):
            settings["cors"] = True
        if isinstance(self.data.get("latency"), int) and self.data["latency"] > 0:
            settings["delay"] = self.data["latency"]
        if settings:
            self.out.data["settings"] = settings
        tls = self.data.get("tlsOptions")
        if isinstance(tls, dict) and tls.get("enabled"):
            self.drop("/tlsOptions", "TLS: served over plain HTTP (use `mockserve run --https`)")
        if self.data.get("proxyMode"):
            self.drop("/proxyMode", "proxy mode (settings.proxy can forward unmatched requests)")
        if self.data.get("callbacks"):
            self.drop("/callbacks", "callbacks")
        entries: list[Entry] = []
        for index, route in enumerate(self.data["routes"]):
            pointer = f"/routes/{index}"
            if not isinstance(route, dict) or not isinstance(route.get("responses"), list):
                raise SourceError([f"{self.label}:{pointer}: a route needs a responses list"])
            entries.extend(self.route(route, pointer))
        return entries

    def path(self, route: dict[str, Any], pointer: str) -> str:
        endpoint = str(route.get("endpoint") or "").strip("/")
        if re.search(r"[*()?+]", endpoint):
            self.drop(f"{pointer}/endpoint", f"pattern characters in {endpoint!r}: taken literally")
        return colon_path(f"{self.prefix}/{endpoint}" if endpoint else self.prefix or "/")

    def route(self, route: dict[str, Any], pointer: str) -> list[Entry]:
        path = self.path(route, pointer)
        kind = route.get("type") or "http"
        if kind == "crud":
            self.resource(route, path, pointer)
            return []
        if kind != "http":
            self.drop(pointer, f"{kind} route: not carried")
            return []
        method = str(route.get("method") or "get").upper()
        methods = ALL_METHODS if method == "ALL" else (method,)
        name = str(route.get("documentation") or f"{method} {path}").strip()
        responses = route["responses"]
        mode = route.get("responseMode")
        answers = []
        for index, response in enumerate(responses):
            where = f"{pointer}/responses/{index}"
            answers.append((where, response, self.answer(response, where)))
        origin = f"{self.short}:{pointer}"
        base: dict[str, Any] = {"methods": methods, "path": path, "name": name, "origin": origin}
        if mode in _MODES:
            listed = [answer for _, _, answer in answers]
            return [
                Entry(**base, response={}, answers=listed, where=(self.label, pointer),
                      route_keys={"order": _MODES[mode]})
            ]  # fmt: skip
        default = next((a for a in answers if a[1].get("default")), answers[0] if answers else None)
        entries = []
        if mode != "DISABLE_RULES":
            for where, response, answer in answers:
                rules = response.get("rules") or []
                if not rules:
                    continue
                when, dropped = rules_condition(rules, str(response.get("rulesOperator", "OR")))
                for what in dropped:
                    self.drop(f"{where}/rules", what)
                if when is None:
                    continue
                entries.append(Entry(**base, response=answer, when=when, where=(self.label, where)))
        if default is not None and mode != "FALLBACK":
            entries.append(Entry(**base, response=default[2], where=(self.label, default[0])))
        if mode not in (None, "DISABLE_RULES", "FALLBACK") and mode not in _MODES:
            self.drop(f"{pointer}/responseMode", f"response mode {mode}")
        return entries

    def answer(self, response: dict[str, Any], pointer: str) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        status = response.get("statusCode", 200)
        if status != 200:
            answer["status"] = status
        own = [
            (str(h.get("key") or ""), str(h.get("value") or ""))
            for h in response.get("headers") or []
            if isinstance(h, dict)
        ]
        headers = response_headers(self.env_headers + own)
        templated = not response.get("disableTemplating")
        body_type = response.get("bodyType") or "INLINE"
        if body_type == "FILE" and response.get("filePath"):
            answer.update(self.file(str(response["filePath"]), headers, pointer))
        elif body_type == "DATABUCKET":
            bucket = self.buckets.get(str(response.get("databucketID")))
            text = str(bucket.get("value", "")) if bucket else ""
            answer.update(self.text(text, headers, templated, f"{pointer}/databucketID"))
        else:
            text = str(response.get("body") or "")
            answer.update(self.text(text, headers, templated, f"{pointer}/body"))
        if headers:
            answer["headers"] = headers
        if isinstance(response.get("latency"), int) and response["latency"] > 0:
            answer["delay"] = response["latency"]
        if response.get("callbacks"):
            self.drop(f"{pointer}/callbacks", "callbacks")
        return answer

    def text(self, text: str, headers: dict[str, str], templated: bool, pointer: str) -> dict:
        if templated and "{{" in text:
            translated, missing = translate(text, mockoon_helper)
            if missing:
                self.drop(pointer, f"template helpers {', '.join(missing)}: sent as written")
                return body_fields(literal(text), headers, templated=True)
            return body_fields(translated, headers, templated=True)
        return body_fields(text, headers)

    def file(self, name: str, headers: dict[str, str], pointer: str) -> dict:
        path = (self.base / name).resolve()
        try:
            data = path.read_bytes()
        except OSError:
            raise SourceError([f"{self.label}:{pointer}/filePath: no such file: {path}"]) from None
        media = content_type_of(headers)
        target = fixture_name(Path(name).stem, media, self.out.fixtures)
        if not media:
            target = target.rsplit(".", 1)[0] + Path(name).suffix
        self.out.fixtures[target] = data
        return {"file": target}

    def resource(self, route: dict[str, Any], path: str, pointer: str) -> None:
        responses = route["responses"]
        response = next(
            (r for r in responses if r.get("default")), responses[0] if responses else {}
        )
        bucket = self.buckets.get(str(response.get("databucketID")))
        items: Any = []
        if bucket is not None:
            try:
                items = json.loads(str(bucket.get("value") or "[]"))
            except ValueError:
                self.drop(
                    f"{pointer}/responses/0/databucketID", "a templated data bucket: starts empty"
                )
                items = []
        if not isinstance(items, list):
            self.drop(
                f"{pointer}/responses/0/databucketID", "a bucket that is not a list: starts empty"
            )
            items = []
        own = [str(h.get("key")) for h in response.get("headers") or [] if isinstance(h, dict)]
        custom = [n for n, _ in self.env_headers if n and n.lower() != "content-type"] + own
        if custom:
            shown = ", ".join(dict.fromkeys(custom))
            self.drop(pointer, f"CRUD route: its headers ({shown}) are not sent by a resource")
        name = re.sub(r"\W+", "_", str((bucket or {}).get("name") or path.strip("/"))).strip("_")
        resources = self.out.data.setdefault("resources", {})
        resources[name or "items"] = {
            "path": path,
            "key": str(response.get("crudKey") or "id"),
            "data": [item for item in items if isinstance(item, dict)],
        }


def read(data: dict[str, Any], label: str, base: Path) -> Imported:
    """Every route of the environment, in its order."""
    title = str(data.get("name") or "Mockoon environment")
    imported = Imported(data={"mockserve": 1, "title": title})
    reader = _Reader(data, label, base, imported)
    entries = reader.environment()
    routes = build_routes(entries, imported)
    resources = imported.data.pop("resources", None)
    imported.data["routes"] = routes
    if resources:
        imported.data["resources"] = resources
    return imported
