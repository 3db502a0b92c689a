"""From recordings to routes: the spec entries that replay what an upstream answered.

One route per method and path (ids stay literal); query or body variants become `when`
branches, the same request with different answers `order: sequence`, identical repeats
one answer. JSON bodies become YAML trees, text `text`, binary or large bodies
`fixtures/` files with the bytes as received. Credentials are written as `<redacted>`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..journal import BODY_LIMIT
from ..media import is_json_media, media_type
from ..spec.answers import file_content_type
from ..spec.loader import DEFAULT_ADMIN as ADMIN
from ..spec.rules import rule_for
from ..templating import expression_literal, literal, literal_value
from ..values import sendable_header
from .recording import Recording, header_value

REDACTED = "<redacted>"
ALWAYS_REDACTED = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
# Headers that say how and by whom these bytes were sent, not what the answer is.
# (A Content-Encoding left on a recording is one that could not be undone: it stays.)
NOT_WRITTEN = frozenset({"content-length", "date", "server", "transfer-encoding"})
# The methods a route may name (the format's `method`), TRACE last.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
TEXT_TYPES = ("application/xml", "application/javascript", "application/x-www-form-urlencoded")


@dataclass
class Writer:
    """Turns recordings into route entries (dicts), writing large or binary bodies as files."""

    folder: Path  # the spec's folder; fixtures go in folder/fixtures
    redact: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)
    fixtures: set[str] = field(default_factory=set)

    def redacted(self, rec: Recording) -> Recording:
        """`rec` with the values named by `--redact` written as `<redacted>`: query
        parameters, and fields at any depth of JSON or form bodies, both ways."""
        if not self.redact:
            return rec
        return dataclasses.replace(
            rec,
            query={k: REDACTED if k.lower() in self.redact else v for k, v in rec.query.items()},
            body=self._redacted_body(rec.body, rec.content_type),
            answer=self._redacted_body(rec.answer, header_value(rec.headers, "Content-Type")),
        )

    def _redacted_body(self, data: bytes, content_type: str | None) -> bytes:
        media = media_type(content_type)
        if not data or len(data) > BODY_LIMIT:
            return data
        try:
            if is_json_media(media):
                return json.dumps(self._redacted_value(json.loads(data))).encode("utf-8")
            if media == "application/x-www-form-urlencoded":
                pairs = parse_qsl(data.decode("utf-8"), keep_blank_values=True)
                return urlencode(
                    [(k, REDACTED if k.lower() in self.redact else v) for k, v in pairs]
                ).encode("ascii")
        except ValueError:  # not what it says it is: kept as it came
            pass
        return data

    def _redacted_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: REDACTED if str(k).lower() in self.redact else self._redacted_value(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._redacted_value(item) for item in value]
        return value

    def refused(self, rec: Recording) -> str | None:
        """Why `rec` cannot be written as a route `validate` accepts (None: it can)."""
        where = f"{rec.method} {rec.path}"
        if rec.method.upper() not in METHODS:
            return f"{where}: a spec's routes take {', '.join(METHODS[:-1])} or TRACE; not written"
        if not 100 <= rec.status <= 599:
            return f"{where}: status {rec.status} is not an HTTP status (100 to 599); not written"
        if rec.path == ADMIN or rec.path.startswith(ADMIN + "/"):
            return f"{where}: under the admin path {ADMIN}; not written"
        _, _, problems = rule_for(rec.path)
        if problems or "{" in rec.path or "}" in rec.path:
            return f"{where}: a route cannot match this path literally; not written"
        return None

    def answer(self, rec: Recording) -> dict[str, Any]:
        """The response entry that replays `rec`'s answer."""
        entry: dict[str, Any] = {}
        if rec.status != 200:
            entry["status"] = rec.status
        content_type = header_value(rec.headers, "Content-Type")
        media = media_type(content_type)
        headers: dict[str, str] = {}
        for name, value in rec.headers:
            low = name.lower()
            if low in NOT_WRITTEN or low == "content-type":
                continue
            if not sendable_header(value):  # decoded by a browser: `naïve ✓`
                note = f"{rec.method} {rec.path}: header {name} is no Latin-1 text; not written"
                if note not in self.notes:
                    self.notes.append(note)
                continue
            if low in ALWAYS_REDACTED or low in self.redact:
                value = REDACTED
            elif name in headers:
                value = headers[name] + ", " + value
            headers[name] = literal(value)
        body, default_type = self._body(rec, media, content_type)
        entry.update(body)
        if content_type is not None and content_type != default_type:
            headers = {"Content-Type": literal(content_type), **headers}
        if headers:
            entry["headers"] = headers
        return entry

    def _body(
        self, rec: Recording, media: str, content_type: str | None
    ) -> tuple[dict[str, Any], str | None]:
        data = rec.answer
        if not data:
            return ({"body": ""} if content_type else {}), "application/octet-stream"
        text = None
        if len(data) <= BODY_LIMIT and header_value(rec.headers, "Content-Encoding") is None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is not None and is_json_media(media):
            try:
                return {"json": literal_value(json.loads(text))}, "application/json"
            except ValueError:
                pass
        textual = media.startswith("text/") or media in TEXT_TYPES or is_json_media(media)
        if text is not None and (textual or not media) and "\x00" not in text:
            return {"text": literal(text)}, "text/plain; charset=utf-8"
        name = self._fixture(rec, media, data)
        return {"file": name}, file_content_type(name)

    def _fixture(self, rec: Recording, media: str, data: bytes) -> str:
        """Write the bytes under fixtures/ (named by path and content) and name the file."""
        extension = mimetypes.guess_extension(media) if media else None
        if extension in (None, ".bat", ".ksh", ".exe"):
            extension = ".bin"
        slug = re.sub(r"[^A-Za-z0-9]+", "-", rec.path).strip("-")[:40] or "root"
        digest = hashlib.sha256(data).hexdigest()[:10]
        name = f"fixtures/{rec.method.lower()}-{slug}-{digest}{extension}"
        target = self.folder / name
        if name not in self.fixtures:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
            self.fixtures.add(name)
        return name

    def condition(self, rec: Recording, parts: tuple[str, ...]) -> str:
        """The `when` that tells this request from the others of its route."""
        tests = []
        if "query" in parts:
            tests.append(f"query == {expression_literal(rec.query)}" if rec.query else "not query")
        if "body" in parts:
            tests.append(self._body_test(rec))
        return " and ".join(tests) or "true"

    def _body_test(self, rec: Recording) -> str:
        if not rec.body:
            return "not request.body"
        if is_json_media(media_type(rec.content_type)):
            try:
                return f"body == {expression_literal(json.loads(rec.body))}"
            except ValueError:
                pass
        return f"request.body == {expression_literal(rec.body.decode('utf-8', 'replace'))}"

    def route(self, recs: list[Recording]) -> dict[str, Any]:
        """One route for every recording of one method and path."""
        first = recs[0]
        entry: dict[str, Any] = {"path": first.path}
        if first.method != "GET":
            entry = {"method": first.method, **entry}
        variants = _variants(recs)
        if len(variants) == 1:
            answers = _replay_order([self.answer(r) for r in recs])
            if len(answers) == 1:
                entry["response"] = answers[0]
            else:
                entry["order"] = "sequence"
                entry["responses"] = answers
        else:
            entry["responses"] = self.branches(recs, variants)
        if any(r.query or r.body for r in recs):
            # The requests as sent, so that `mockserve verify` asks the backend the same.
            groups = list(variants.values())
            entry["examples"] = [self.example(g[0], i) for i, g in enumerate(groups, 1)]
        return entry

    def example(self, rec: Recording, number: int) -> dict[str, Any]:
        """A recorded request as a route example (credentials are not part of it)."""
        request: dict[str, Any] = {}
        name = f"request {number}"
        if rec.query:
            request["query"] = rec.query
            name = "?" + urlencode(rec.query, doseq=True)
        if rec.body:
            try:
                if not is_json_media(media_type(rec.content_type)):
                    raise ValueError("not JSON")
                request["body"] = json.loads(rec.body)
            except ValueError:
                request["headers"] = {"Content-Type": rec.content_type or "text/plain"}
                request["body"] = rec.body.decode("utf-8", "replace")
            if rec.query:
                name += f" (body {number})"
        return {"name": name, "request": request}

    def branches(
        self, recs: list[Recording], variants: dict[tuple, list[Recording]] | None = None
    ) -> list[dict[str, Any]]:
        """`when` branches, one per request variant (the last answer of each)."""
        variants = variants if variants is not None else _variants(recs)
        parts = _differing(recs)
        branches = []
        for group in variants.values():
            answers = _replay_order([self.answer(r) for r in group])
            if len(answers) > 1:
                self.notes.append(
                    f"{group[0].method} {group[0].path}: the same request got "
                    f"{len(answers)} different answers among other variants; kept the last"
                )
            branches.append({"when": self.condition(group[0], parts), **answers[-1]})
        return branches


def _request_key(rec: Recording) -> tuple:
    return (json.dumps(rec.query, sort_keys=True), rec.body)


def _variants(recs: list[Recording]) -> dict[tuple, list[Recording]]:
    variants: dict[tuple, list[Recording]] = {}
    for rec in recs:
        variants.setdefault(_request_key(rec), []).append(rec)
    return variants


def _differing(recs: list[Recording]) -> tuple[str, ...]:
    parts = []
    if len({json.dumps(r.query, sort_keys=True) for r in recs}) > 1:
        parts.append("query")
    if len({r.body for r in recs}) > 1:
        parts.append("body")
    return tuple(parts) or ("query",)


def _replay_order(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers in the order given; repeats of the last are one (a sequence stays on it)."""
    while len(answers) > 1 and answers[-1] == answers[-2]:
        answers = answers[:-1]
    if all(a == answers[0] for a in answers):
        return answers[:1]
    return answers
