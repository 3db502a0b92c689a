"""What a route sends: responses, bodies, templates, faults, error overrides, callbacks.

Each is compiled once at load (a template parsed, a constant body encoded), with
every problem located where it was written.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from ..templating import (
    HTML_ENV,
    Expression,
    TemplateSyntaxProblem,
    compile_expression,
    compile_text,
    compile_value,
)
from ..values import sendable_header
from .build import Build, mapping
from .model import Body, Callback, Fault, ResponseTemplate
from .selection import Pick, compile_when
from .source import SourceFile, format_path
from .streams import OverTime, streamed_answer

BODY_KINDS = ("json", "text", "html", "body", "file", "redirect", "stream", "llm")
CONTENT_TYPES = {
    "stream": "text/event-stream",
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "body": "application/octet-stream",
}


# Python's own table, not the machine's /etc/mime.types: a file's type is the same everywhere.
_MIME_TYPES = mimetypes.MimeTypes()
for _type, _extensions in {
    "application/json": (".json", ".map"),
    "application/yaml": (".yaml", ".yml"),
    "application/xml": (".xml",),
    "text/javascript": (".js", ".mjs"),
    "text/markdown": (".md",),
    "image/webp": (".webp",),
    "font/woff2": (".woff2",),
}.items():
    for _extension in _extensions:
        _MIME_TYPES.add_type(_type, _extension)


def file_content_type(name: str) -> str:
    """The Content-Type of a `file:` response, from its extension (text gets charset=utf-8)."""
    guessed, encoding = _MIME_TYPES.guess_type(name)
    if guessed is None or encoding is not None:  # unknown, or compressed (e.g. .json.gz)
        return "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def header_text(value: Any) -> str:
    """A header value as sent: YAML's `true` is `true`, not `True`."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def dump_json(value: Any) -> bytes:
    """A JSON body as sent: compact, and UTF-8 rather than escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Answers:
    """Compiles a route's answers and callbacks, and the spec's `errors` and `webhooks`."""

    def __init__(self, build: Build):
        self.build = build
        self.over_time = OverTime(self)

    def compile_template(self, source: SourceFile, at: tuple, compile_fn, *args):
        """Compile one template; a syntax error becomes a problem where it was written."""
        try:
            return compile_fn(*args)
        except TemplateSyntaxProblem as exc:
            self.build.problem(source, at, str(exc))
            return None

    def _value(self, source: SourceFile, at: tuple, value: Any):
        """Compile a JSON value, reporting each bad leaf where it stands."""
        if isinstance(value, dict):
            for key, item in value.items():
                self._value(source, at + (key,), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._value(source, at + (index,), item)
        elif isinstance(value, str):
            self.compile_template(source, at, compile_value, value)

    def value(self, source: SourceFile, at: tuple, value: Any):
        """Compile a JSON value whose strings may be templates; None when one is bad."""
        try:
            return compile_value(value)
        except TemplateSyntaxProblem:
            self._value(source, at, value)  # walk again only to locate each bad leaf
            return None

    def when(
        self, source: SourceFile, at: tuple, raw: dict[str, Any], allow_when: bool
    ) -> Expression | Pick | None:
        """A response's compiled `when`, or None (with a problem when it cannot be one)."""
        if not isinstance(raw.get("when"), str):
            return None
        if not allow_when:
            message = "'when' is allowed only with order: first-match"
            self.build.problem(source, at + ("when",), message, key=True)
            return None
        condition = raw["when"].strip()
        if condition.startswith("{{") and condition.endswith("}}"):
            bare = condition[2:-2].strip()
            message = f"'when' is an expression without braces: write {bare!r}"
            self.build.problem(source, at + ("when",), message)
            return None
        compiled: Expression | Pick | None = self.compile_template(
            source, at + ("when",), compile_when, raw["when"]
        )
        return compiled

    def response(
        self, source: SourceFile, at: tuple, raw: Any, *, allow_when: bool
    ) -> ResponseTemplate | None:
        """One answer: status, headers, one body, delay, state, `when`; None when broken."""
        if not isinstance(raw, dict):
            return None
        if raw.get("proxy") is True:
            return self.proxied(source, at, raw, allow_when=allow_when)
        kinds = [kind for kind in BODY_KINDS if kind in raw]
        if len(kinds) > 1:
            self.build.problem(
                source,
                at + (kinds[1],),
                f"a response has one body; found {', '.join(kinds)}",
                key=True,
            )
        kind = kinds[0] if kinds else None
        headers = []
        for name, value in mapping(raw.get("headers")).items():
            text = (
                value
                if isinstance(value, str)
                else json.dumps(value)
                if isinstance(value, bool)
                else str(value)
            )
            if "{{" not in text and "{%" not in text and not sendable_header(text):
                self.build.problem(
                    source,
                    at + ("headers", name),
                    f"{text!r} cannot be sent as a header (use Latin-1 text on one line)",
                )
                continue
            compiled = self.compile_template(source, at + ("headers", name), compile_text, text)
            if compiled is not None:
                headers.append((str(name), compiled))
        header_names = {name.lower() for name, _ in headers}
        for part in ("headers", "json", "state"):
            self.build.loader.warn_implicit_bools(source, at + (part,))
        body = self.body(source, at, kind, raw, header_names)
        redirect = None
        status = raw.get("status")
        status_value = None
        if isinstance(status, str):  # a template, e.g. "{{ prefer('code') | int }}"
            status_value = self.compile_template(source, at + ("status",), compile_value, status)
            status = None
        if kind == "redirect" and isinstance(raw["redirect"], str):
            redirect = self.compile_template(
                source, at + ("redirect",), compile_text, raw["redirect"]
            )
            status = status or 302
        when = self.when(source, at, raw, allow_when)
        state = []
        for name, value in mapping(raw.get("state")).items():
            compiled = self.value(source, at + ("state", name), value)
            if compiled is not None:
                state.append((str(name), compiled))
        stream = self.over_time.stream(source, at, raw)
        llm = self.over_time.llm(source, at, raw)
        pacing = self.over_time.pacing(source, at, raw, kind)
        if body is None:
            return None
        return ResponseTemplate(
            status=status if isinstance(status, int) else 200,
            status_value=status_value,
            body=body,
            headers=tuple(headers),
            redirect=redirect,
            delay=self.build.loader.delay(source, at + ("delay",), raw.get("delay")),
            state=tuple(state),
            when=when,
            weight=float(raw.get("weight", 1)),
            where=format_path(at),
            schema=self.response_schema(source, at, raw),
            verify=str(raw.get("verify", "shape")),
            stream=stream,
            llm=llm,
            pacing=pacing,
        )

    def response_schema(self, source: SourceFile, at: tuple, raw: dict) -> Any:
        """`response.schema`, checked as a JSON Schema; kept as written for `verify`."""
        if "schema" not in raw:
            return None
        if not self.build.check_schema(source, at + ("schema",), raw["schema"]):
            return None
        return raw["schema"]

    def proxied(
        self, source: SourceFile, at: tuple, raw: dict, *, allow_when: bool
    ) -> ResponseTemplate | None:
        """`response: {proxy: true}`: the upstream's status, headers and body, forwarded."""
        for key in raw:
            if key not in ("proxy", "when", "weight", "delay"):
                self.build.problem(
                    source,
                    at + (key,),
                    f"a proxied response takes its status, headers and body from the "
                    f"upstream; remove {key!r}",
                    key=True,
                )
        when = self.when(source, at, raw, allow_when)
        return ResponseTemplate(
            status=200,
            body=Body("none", None, static=b""),
            delay=self.build.loader.delay(source, at + ("delay",), raw.get("delay")),
            when=when,
            weight=float(raw.get("weight", 1)),
            where=format_path(at),
            proxy=True,
        )

    def body(
        self, source: SourceFile, at: tuple, kind: str | None, raw: dict, header_names: set[str]
    ) -> Body | None:
        """The answer's one body, encoded now when it is constant (a file is read now)."""
        if kind is None or kind == "redirect":
            return Body("none", None, static=b"")
        if kind in ("stream", "llm"):  # sent part by part (mockserve.streams)
            return Body(kind, CONTENT_TYPES.get(kind), static=b"")
        content_type = CONTENT_TYPES.get(kind)
        if kind == "file":
            target = self.build.loader.resolve_file(str(raw["file"]), source, at + ("file",))
            if target is None:
                return None
            return Body("file", file_content_type(target.name), static=target.read_bytes())
        if kind == "json":
            template = self.value(source, at + ("json",), raw["json"])
            if template is None:
                return None
            if template.constant:
                try:
                    static = dump_json(template.value)
                except (TypeError, ValueError) as exc:  # e.g. !!binary or !!set in YAML
                    self.build.problem(source, at + ("json",), f"not a JSON value: {exc}")
                    return None
                return Body("json", content_type, template, static=static)
            return Body("json", content_type, template)
        text = raw[kind]
        if not isinstance(text, str):
            return None
        env = HTML_ENV if kind == "html" else None
        template = self.compile_template(
            source, at + (kind,), compile_text, text, *([env] if env else [])
        )
        if template is None:
            return None
        if template.constant:
            return Body(kind, content_type, template, static=text.encode("utf-8"))
        return Body(kind, content_type, template)

    def faults(
        self,
        source: SourceFile,
        at: tuple,
        raw: list,
        responses: tuple[ResponseTemplate, ...] = (),
    ) -> tuple[Fault, ...]:
        """A route's `faults`: each a rate with a kind or an answer; rates add up to 1 at most.

        `responses`: the route's own, which an `llm_error` or a fault inside a stream reads.
        """
        faults = []
        total = 0.0
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                continue
            where = at + ("faults", index)
            total += float(item.get("rate", 0))
            inside = self.over_time.fault(source, where, item, streamed_answer(responses))
            if inside is not None:
                if inside.after is not None and not any(r.over_time for r in responses):
                    message = "'after' counts the events of a stream; no response here streams"
                    self.build.problem(source, where + ("after",), message, key=True)
                faults.append(inside)
                continue
            kind = item.get("kind")
            has_body = any(k in item for k in BODY_KINDS) or "status" in item
            if kind and has_body:
                self.build.problem(
                    source,
                    where + ("kind",),
                    f"a '{kind}' fault sends no response of its own; remove status and body",
                    key=True,
                )
            response = None
            if not kind:
                fields = {k: v for k, v in item.items() if k not in ("rate", "kind")}
                fields.setdefault("status", 500)
                response = self.response(source, where, fields, allow_when=False)
            faults.append(Fault(float(item.get("rate", 0)), kind, response))
        if total > 1.000001:
            self.build.problem(
                source, at + ("faults",), f"fault rates add up to {total:g}, more than 1"
            )
        return tuple(faults)

    def callback(self, source: SourceFile, at: tuple, raw: Any, name: str) -> Callback | None:
        """A route's callback, or a webhook (no `url`: the admin request gives it)."""
        if not isinstance(raw, dict):
            return None
        count = len(self.build.problems)
        url = None
        if isinstance(raw.get("url"), str):
            url = self.compile_template(source, at + ("url",), compile_text, raw["url"])
        when = None
        if isinstance(raw.get("when"), str):
            when = self.compile_template(source, at + ("when",), compile_expression, raw["when"])
        body = None
        if "json" in raw and "text" in raw:
            self.build.problem(
                source, at + ("text",), "a callback has one body: json or text", key=True
            )
        elif "json" in raw:
            template = self.value(source, at + ("json",), raw["json"])
            body = Body("json", CONTENT_TYPES["json"], template) if template is not None else None
        elif isinstance(raw.get("text"), str):
            template = self.compile_template(source, at + ("text",), compile_text, raw["text"])
            body = Body("text", CONTENT_TYPES["text"], template) if template is not None else None
        headers = []
        for header, value in mapping(raw.get("headers")).items():
            text = value if isinstance(value, str) else json.dumps(value)
            compiled = self.compile_template(source, at + ("headers", header), compile_text, text)
            if compiled is not None:
                headers.append((str(header), compiled))
        retry = mapping(raw.get("retry"))
        if len(self.build.problems) != count:
            return None
        return Callback(
            name=str(raw.get("name") or name),
            url=url,
            method=str(raw.get("method", "POST")).upper(),
            when=when,
            body=body,
            headers=tuple(headers),
            delay=self.build.loader.delay(source, at + ("delay",), raw.get("delay")),
            attempts=int(retry.get("attempts", 1)),
            backoff=float(retry.get("backoff", 0)),
            timeout=float(raw.get("timeout", 10000)),
            where=format_path(at),
        )

    def route_errors(
        self, source: SourceFile, at: tuple, raw: Any
    ) -> dict[int, tuple[ResponseTemplate, ...]]:
        """A route's `errors`: each status's answers, first-match; the status defaults to it."""
        result = {}
        for status, entry in mapping(raw).items():
            if not str(status).isdigit():
                continue
            options = entry if isinstance(entry, list) else [entry]
            compiled = []
            for index, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                where = at + ((status, index) if isinstance(entry, list) else (status,))
                if "when" not in option and index != len(options) - 1:
                    self.build.problem(source, where, "only the last answer may omit 'when'")
                template = self.response(
                    source, where, {"status": int(status), **option}, allow_when=True
                )
                if template is not None:
                    compiled.append(template)
            if compiled:
                result[int(status)] = tuple(compiled)
        return result

    def errors(self, source: SourceFile, raw: dict) -> dict[int, ResponseTemplate]:
        """The spec's `errors`: the server's own answers (404, 422...), reshaped."""
        result = {}
        for status, response in raw.items() if isinstance(raw, dict) else ():
            compiled = self.response(source, ("errors", status), response, allow_when=False)
            if compiled is not None and str(status).isdigit():
                result[int(status)] = compiled
        return result
