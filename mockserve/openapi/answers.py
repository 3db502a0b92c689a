"""OpenAPI responses as mockserve answers: the `responses` list of one route.

The lowest declared 2xx answers by default; `Prefer: code=`/`example=` pick another
declared response, `Accept` a media type (406 when none fits), and an invalid request
gets the document's own error example when it has one. Bodies are fixed here, at
conversion time (example, else default, else generated), so serving the document and
serving its import give the same answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from ..templating import literal, literal_value
from ..values import sendable_header
from .document import DocumentReader, bare_media, header_text, member, quote
from .generate import CannotGenerate
from .terms import NO_BODY, is_json_media

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


class ResponseConversion(DocumentReader):
    """Turns an operation's declared responses into answers."""

    def _guards(
        self, operation: dict[str, Any], entries: list[tuple[str, dict[str, Any]]], where: str
    ) -> list[dict[str, Any]]:
        """Answers that come before the declared ones (a 401 for a missing credential)."""
        return []

    def _responses(self, operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
        declared = member(operation, "responses")
        entries = [
            (str(code).upper(), self.deref(response, where)) for code, response in declared.items()
        ]
        entries = [(code, r) for code, r in entries if isinstance(r, dict)]
        main_code, main_status = _main_response([code for code, _ in entries])
        answers = self._guards(operation, entries, where)
        # exact codes, then `4XX`-style ranges, then `default`: the most specific answers
        ordered = sorted(entries, key=lambda e: (e[0] == "DEFAULT", "X" in e[0], e[0]))
        covered: list[str] = []
        status: int | str  # a code, or a template choosing one
        for code, response in ordered:
            if code.isdigit():
                condition, status = f"prefer('code') == {quote(code)}", int(code)
            elif re.fullmatch(r"[1-5]XX", code):
                low = int(code[0]) * 100
                condition = f"{low} <= (prefer('code') or 0) | int <= {low + 99}"
                status = "{{ prefer('code') | int }}"
            elif code == "DEFAULT":
                condition = "100 <= (prefer('code') or 0) | int <= 599"
                status = "{{ prefer('code') | int }}"
            else:
                continue
            covered.append(condition)
            answers += self._variants(response, status, condition, f"{where} {code}", final=False)
        declared_codes = ", ".join(
            code.lower() if code == "DEFAULT" else code for code, _ in entries
        )
        uncovered = "prefer('code') is not none"
        if covered:
            uncovered += " and not (" + " or ".join(covered) + ")"
        answers.append(
            {
                "when": uncovered,
                **self._not_declared(
                    "code={{ prefer('code') }}",
                    f"declared: {declared_codes}" if declared_codes else "no response is declared",
                ),
            }
        )
        main = dict(entries).get(main_code) if main_code is not None else None
        answers += self._variants(main or {}, main_status, None, f"{where} {main_code}", final=True)
        return answers

    def _invalid_request_answers(
        self, operation: dict[str, Any], where: str
    ) -> list[dict[str, Any]]:
        """An invalid request's answer in the document's own words: its error example.

        The operation's 422, else 400, else a 4XX range, else `default`, when that
        response has an example; named examples are picked with `Prefer: example=NAME`.
        """
        declared = operation.get("responses")
        if not isinstance(declared, dict):
            return []
        by_code = {str(code).upper(): code for code in declared}
        for wanted in ("422", "400", "4XX", "DEFAULT"):
            if wanted not in by_code:
                continue
            response = self.deref(declared[by_code[wanted]], where)
            if not isinstance(response, dict) or not isinstance(response.get("content"), dict):
                continue
            for key, obj in response["content"].items():
                if bare_media(key) is None or not isinstance(obj, dict):
                    continue
                named: list[tuple[str, Any]] = []
                if "example" in obj:
                    named.append(("", obj["example"]))
                examples = self.deref(obj.get("examples"), where)
                for name, example in examples.items() if isinstance(examples, dict) else ():
                    example = self.deref(example, where)
                    if isinstance(example, dict) and "value" in example:
                        named.append((str(name), example["value"]))
                if not named:
                    continue
                base = {"status": 400 if wanted == "400" else 422}
                headers = self._response_headers(response, where)
                answers = [
                    {
                        "when": f"prefer('example') == {quote(name)}",
                        **self._body(str(key).strip(), value, obj, headers, base),
                    }
                    for name, value in named
                    if name
                ]
                first = named[0][1]
                answers.append(self._body(str(key).strip(), first, obj, headers, base))
                return answers
        return []

    def _not_declared(self, asked: str, declared: str) -> dict[str, Any]:
        """The 404 for a `Prefer` that asks for what the operation does not declare."""
        message = f"Prefer: {asked} is not declared by this operation ({declared})"
        return {
            "status": 404,
            "json": {
                "error": message,
                "route": literal(self._route_name),
                "errors": [{"in": "headers", "path": "/prefer", "message": message}],
            },
        }

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
        content = member(response, "content")
        # by the type without its parameters; the declared key is what Content-Type says
        media_types: dict[str, tuple[str, dict[str, Any]]] = {}
        for key, media in content.items():
            bare = bare_media(key)
            if bare is None:
                self.warn(f"{where}: content key {key!r} is not a media type; skipped")
                continue
            declared = str(key).strip()
            media_types.setdefault(bare, (declared, media if isinstance(media, dict) else {}))
        base = {"status": status}
        if status in (204, 304) or (isinstance(status, int) and status < 200):
            media_types = {}  # these statuses never carry a body
        prefix = f"{condition} and " if condition else ""
        names: list[str] = []
        answers: list[dict[str, Any]] = []
        for bare, (media, obj) in media_types.items():
            examples = self.deref(obj.get("examples"), where)
            for name, example in examples.items() if isinstance(examples, dict) else ():
                example = self.deref(example, where)
                if not isinstance(example, dict) or "value" not in example:
                    continue
                names.append(str(name))
                answers.append(
                    {
                        "when": f"{prefix}prefer('example') == {quote(str(name))} "
                        f"and {self._accepts(media_types)} == {quote(bare)}",
                        **self._body(media, example["value"], obj, headers, base),
                    }
                )
        known = list(dict.fromkeys(names))
        unknown = "prefer('example') is not none"
        if known:
            unknown += f" and prefer('example') not in {json.dumps(known)}"
        answers.append(
            {
                "when": prefix + unknown,
                **self._not_declared(
                    "example={{ prefer('example') }}",
                    "named examples: " + ", ".join(literal(n) for n in known)
                    if known
                    else "it has no named examples",
                ),
            }
        )
        if not media_types:
            answer = {**base, **({"headers": headers} if headers else {})}
            return [*answers, answer if final else {"when": condition, **answer}]
        for bare, (media, obj) in media_types.items():
            value = self._default_value(obj, where)
            answers.append(
                {
                    "when": f"{prefix}{self._accepts(media_types)} == {quote(bare)}",
                    **self._body(media, value, obj, headers, base),
                }
            )
        listed = ", ".join(media for media, _ in media_types.values())
        refusal = {
            "status": 406,
            "json": {
                "error": literal(f"not acceptable: this operation answers with {listed}"),
                "route": literal(self._route_name),
                "errors": [],
            },
        }
        answers.append(refusal if final else {"when": condition, **refusal})
        return answers

    @staticmethod
    def _accepts(media_types: dict[str, Any]) -> str:
        return "accepts(" + ", ".join(quote(m) for m in media_types) + ")"

    def example_value(self, media: dict[str, Any], where: str) -> Any:
        """The value a media type's example or schema gives (NO_BODY when there is none)."""
        return self._default_value(media, where)

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
        schema = media.get("schema")
        converted = self.dialect.convert(schema, where) if schema is not None else None
        candidates = [("example", media["example"])] if "example" in media else []
        examples = self.deref(media.get("examples"), where)
        if isinstance(examples, dict):
            for name, example in examples.items():
                example = self.deref(example, where)
                if isinstance(example, dict) and "value" in example:
                    candidates.append((f"example {name!r}", example["value"]))
                    break
        for what, value in candidates:
            if converted is None or self.generator.valid(converted, value):
                return value
            self.warn(f"{where}: its {what} fails its own schema; answering with another value")
        if converted is None:
            return NO_BODY
        try:
            return self._generate(converted, where)
        except (CannotGenerate, RecursionError) as exc:
            why = "it recurses too deeply" if isinstance(exc, RecursionError) else str(exc)
            self.warn(
                f"{where}: no value fits the schema ({why}); the answer has its shape, "
                "with plain values where none fits"
            )
            self.generator.lenient = True
            try:
                return self._generate(converted, where)
            except RecursionError:
                return NO_BODY
            finally:
                self.generator.lenient = False

    def _generate(self, schema: Any, where: str) -> Any:
        """A value for `schema`; what it had to make do with is a load warning."""
        self.generator.notes = []
        try:
            return self.generator.value(schema)
        finally:
            for note in self.generator.notes:
                self.warn(f"{where}: {note}")

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
        if value is NO_BODY:
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
        declared = member(response, "headers")
        for name, header in declared.items():
            header = self.deref(header, where)
            if not isinstance(header, dict) or str(name).lower() in _FRAMING_HEADERS:
                continue
            text = header_text(header["example"]) if self._header_example_fits(header) else None
            if text is None or not sendable_header(text):
                self._reseed(f"{where} {name}")
                try:
                    schema = self.dialect.convert(header.get("schema", {}), where)
                    text = header_text(self._generate(schema, where))
                except (CannotGenerate, RecursionError):
                    continue
            if sendable_header(text):
                result[str(name)] = literal(text)
            else:
                self.warn(f"{where}: header {name!r} has no value that can be sent; left out")
        return result

    def _header_example_fits(self, header: dict[str, Any]) -> bool:
        """A header's `example`, when it has one that its own schema takes."""
        if "example" not in header:
            return False
        schema = self.dialect.convert(header.get("schema", {}), "header")
        example = header["example"]  # a header is text: `100` fits a string schema too
        return self.generator.valid(schema, example) or self.generator.valid(
            schema, header_text(example)
        )

    def _reseed(self, key: str) -> None:
        self.generator.random.seed(f"{self._seed}|{key}")


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
    schema = member(media, "schema")
    xml = member(schema, "xml")
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
