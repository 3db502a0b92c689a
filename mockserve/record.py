"""Record a real API into an ordinary spec: what the upstream answered, replayable offline.

The recorder is a listener of finished exchanges: each forwarded request and the whole
answer the proxy kept on its exchange (`exchange.upstream`) become a `Recording`. Saving
turns recordings into routes: one per method and path (ids stay literal), query or body
variants as `when` branches, the same request with different answers as `order:
sequence`, identical repeats as one answer. JSON bodies become YAML trees, text `text`,
binary or large bodies `fixtures/` files with the bytes as received (decoded from gzip,
deflate or br). Credentials are written as `<redacted>`.

A file that exists is never rewritten: the text it had when recording started is kept
byte for byte and the new routes are appended to its `routes` list as text (new
variants of a route recorded there before go at the end of that route's `responses`).
Every save writes that text plus everything recorded so far, so saving twice adds
nothing twice.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import mimetypes
import re
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import yaml
from flask import Blueprint, Flask, request
from werkzeug.wrappers import Response

from .access import guard
from .context import query_dict
from .exchange import Exchange
from .journal import BODY_LIMIT, Entry
from .problems import json_response
from .proxy import EXTENSION, end_to_end
from .spec.answers import file_content_type
from .spec.model import Proxy, Settings, Spec
from .templating import literal, literal_value

if TYPE_CHECKING:
    from .mock import Mock

REDACTED = "<redacted>"
ALWAYS_REDACTED = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
# Headers that say how and by whom these bytes were sent, not what the answer is.
# (A Content-Encoding left on a recording is one that could not be undone: it stays.)
NOT_WRITTEN = frozenset({"content-length", "date", "server", "transfer-encoding"})
TEXT_TYPES = ("application/xml", "application/javascript", "application/x-www-form-urlencoded")
CAPTURE_WAIT = 10.0  # seconds a save waits for an answer still streaming


@dataclass
class Recording:
    """One request and the upstream's whole answer, body decoded."""

    method: str
    path: str
    query: dict[str, Any]
    body: bytes
    content_type: str
    status: int
    headers: list[tuple[str, str]]  # the answer's, end to end
    answer: bytes
    route: str | None = None  # the spec route it matched (no `when` held), if any
    capture: Any = None  # proxy.Capture: the answer as it arrives, until `finish`


def decode_body(body: bytes, encoding: str | None) -> bytes | None:
    """The body with its Content-Encoding undone (gzip, deflate, br); None if it cannot be."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # raw deflate, as some servers send it
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif coding == "br":
                import brotli  # noqa: PLC0415 - optional: only for br bodies

                body = brotli.decompress(body)
            elif coding != "identity":
                return None
    except ImportError:
        return None
    except Exception:  # noqa: BLE001 - a corrupt body is kept as it came
        return None
    return body


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)


def seen(exchange: Exchange) -> Recording:
    """What a finished, forwarded exchange asked, with the upstream's answer still to come.

    Read while the request is being answered (the request object lives no longer); the
    answer may still be streaming: `finish` completes it.
    """
    req = exchange.request
    return Recording(
        method=req.method,
        path=req.path,
        query=query_dict(req),
        body=req.get_data(cache=True),
        content_type=req.content_type or "",
        status=exchange.upstream.status,
        headers=[],
        answer=b"",
        route=exchange.route,
        capture=exchange.upstream,
    )


def finish(recording: Recording) -> Recording | None:
    """The recording with the upstream's whole answer, decoded; None if it broke off."""
    capture = recording.capture
    if capture is None:
        return recording
    capture.done.wait(CAPTURE_WAIT)
    if not capture.complete:
        return None
    headers = list(capture.headers)
    body = bytes(capture.body)
    encoding = _header(headers, "Content-Encoding")
    if encoding:
        decoded = decode_body(body, encoding)
        if decoded is not None:
            body = decoded
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
    return dataclasses.replace(recording, headers=headers, answer=body, capture=None)


# -- from recordings to routes --------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, text with line breaks as `|` blocks, lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(value: Any) -> str:
    return yaml.dump(
        value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )


def jinja_literal(value: Any) -> str:
    """A JSON value as a template-expression literal (`{"q": "a"}`, `true`, `none`)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(jinja_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(str(k))}: {jinja_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return json.dumps(str(value))


def _media(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


@dataclass
class Writer:
    """Turns recordings into route entries (dicts), writing large or binary bodies as files."""

    folder: Path  # the spec's folder; fixtures go in folder/fixtures
    redact: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)
    fixtures: set[str] = field(default_factory=set)

    def answer(self, rec: Recording) -> dict[str, Any]:
        """The response entry that replays `rec`'s answer."""
        entry: dict[str, Any] = {}
        if rec.status != 200:
            entry["status"] = rec.status
        content_type = _header(rec.headers, "Content-Type")
        media = _media(content_type)
        headers: dict[str, str] = {}
        for name, value in rec.headers:
            low = name.lower()
            if low in NOT_WRITTEN or low == "content-type":
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
        if len(data) <= BODY_LIMIT and _header(rec.headers, "Content-Encoding") is None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is not None and _is_json(media):
            try:
                return {"json": literal_value(json.loads(text))}, "application/json"
            except ValueError:
                pass
        textual = media.startswith("text/") or media in TEXT_TYPES or _is_json(media)
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
            tests.append(f"query == {jinja_literal(rec.query)}" if rec.query else "not query")
        if "body" in parts:
            tests.append(self._body_test(rec))
        return " and ".join(tests) or "true"

    def _body_test(self, rec: Recording) -> str:
        if not rec.body:
            return "not request.body"
        if _is_json(_media(rec.content_type)):
            try:
                return f"body == {jinja_literal(json.loads(rec.body))}"
            except ValueError:
                pass
        return f"request.body == {jinja_literal(rec.body.decode('utf-8', 'replace'))}"

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
                if not _is_json(_media(rec.content_type)):
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


# -- appending to a spec file as text -------------------------------------------------


@dataclass
class _Place:
    """Where text goes in a file, and how far its list items are indented."""

    index: int
    indent: int
    before: str = ""  # text to put first (`routes:` when the file has none)
    replace: int = 0  # characters the text replaces (the `[]` of `routes: []`)


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node a block collection really ends with (its own end mark is the next token)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value:
        if node.flow_style:
            return node
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def _dash_column(text: str, item: yaml.Node) -> int:
    start = text.rfind("\n", 0, item.start_mark.index) + 1
    line = text[start : item.start_mark.index]
    return line.index("-") if "-" in line else max(item.start_mark.column - 2, 0)


def _append_place(text: str, sequence: yaml.Node | None, key: yaml.Node | None) -> _Place:
    """Where items go at the end of a block list (or after `key:` when it has none)."""
    if isinstance(sequence, yaml.SequenceNode) and sequence.value and not sequence.flow_style:
        leaf = _last_leaf(sequence.value[-1])
        index = leaf.end_mark.index
        if not (isinstance(leaf, yaml.ScalarNode) and leaf.style in ("|", ">")):
            index = _line_end(text, index)
        return _Place(index, _dash_column(text, sequence.value[0]))
    if key is not None:
        indent = key.start_mark.column + 2
        if isinstance(sequence, yaml.SequenceNode):  # `routes: []`: written as a block
            end = sequence.end_mark.index
            if not text[end : _line_end(text, end)].strip():
                end = _line_end(text, end)
            start = key.end_mark.index + 1  # after the colon
            return _Place(start, indent, before="\n", replace=end - start)
        return _Place(_line_end(text, key.end_mark.index), indent)
    return _Place(len(text), 2, before="routes:\n")


def _indented(text: str, columns: int) -> str:
    pad = " " * columns
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _route_key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), path


@dataclass
class _Existing:
    """A route already in the file: its methods and path, and room for more branches."""

    methods: tuple[str, ...]
    path: str
    branches: _Place | None  # where new `when` branches go; None: no room


def _existing_routes(text: str) -> tuple[list[_Existing], _Place]:
    """The file's routes, and where new ones go."""
    root = yaml.compose(text) if text.strip() else None
    routes_key = routes = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "routes":
                routes_key, routes = key, value
    if routes is not None and isinstance(routes, yaml.SequenceNode) and routes.flow_style:
        if routes.value:
            raise ValueError("its routes are a flow-style list ([...]); write them as a block list")
    place = _append_place(text, routes, routes_key)
    existing = []
    for item in routes.value if isinstance(routes, yaml.SequenceNode) else ():
        if not isinstance(item, yaml.MappingNode):
            continue
        fields = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        path = fields.get("path")
        if not isinstance(path, yaml.ScalarNode):
            continue
        method = fields.get("method")
        if isinstance(method, yaml.SequenceNode):
            methods = tuple(str(m.value).upper() for m in method.value)
        else:
            methods = (str(method.value).upper() if method is not None else "GET",)
        existing.append(_Existing(methods, str(path.value), _branch_place(text, fields)))
    return existing, place


def _branch_place(text: str, fields: dict[str, yaml.Node]) -> _Place | None:
    """Room at the end of `responses` when every branch there has a `when` (first-match)."""
    order = fields.get("order")
    responses = fields.get("responses")
    if order is not None and getattr(order, "value", None) != "first-match":
        return None
    if not isinstance(responses, yaml.SequenceNode) or responses.flow_style:
        return None
    for item in responses.value:
        if not isinstance(item, yaml.MappingNode):
            return None
        if not any(getattr(k, "value", None) == "when" for k, _ in item.value):
            return None  # a branch without `when` answers everything after it
    if not responses.value:
        return None
    return _append_place(text, responses, None)


def merged_text(
    base: str, recordings: list[Recording], writer: Writer, *, header: str = ""
) -> tuple[str, int]:
    """`base` with routes for `recordings` added as text; and how many routes were added."""
    if base and not base.endswith("\n"):
        base += "\n"
    existing, place = _existing_routes(base)
    groups: dict[tuple[str, str], list[Recording]] = {}
    for rec in recordings:
        groups.setdefault(_route_key(rec.method, rec.path), []).append(rec)
    inserts: list[tuple[int, str, int]] = []
    new_routes = []
    for (method, path), recs in groups.items():
        found = next((e for e in existing if method in e.methods and e.path == path), None)
        if found is not None:
            if found.branches is None:
                writer.notes.append(
                    f"{method} {path}: its route in the file has no room for another "
                    "variant (add a 'when' branch by hand); not recorded"
                )
                continue
            text = dump_yaml(writer.branches(recs))
            inserts.append((found.branches.index, _indented(text, found.branches.indent), 0))
        elif any(rec.route is not None for rec in recs):
            writer.notes.append(
                f"{method} {path}: answered by route {recs[0].route!r} of the spec when a "
                "'when' holds; add this variant there by hand; not recorded"
            )
        else:
            new_routes.append(writer.route(recs))
    if new_routes:
        text = place.before + _indented(dump_yaml(new_routes), place.indent)
        inserts.append((place.index, text, place.replace))
    if not base:
        base = header
        inserts = [(len(base), text, 0) for _, text, _ in inserts]
    # From the end backwards, so earlier places stay put; at one place, the new routes go
    # after a route's new branches (they are inserted first, then pushed along).
    ordered = sorted(enumerate(inserts), key=lambda pair: (pair[1][0], pair[0]), reverse=True)
    for _, (index, text, replace) in ordered:
        base = base[:index] + text + base[index + replace :]
    return base, len(new_routes)


# -- the recorder -----------------------------------------------------------------------


class Recorder:
    """Listens to forwarded exchanges and writes them into `output` when asked to save."""

    def __init__(
        self,
        output: str | Path,
        *,
        main: bool,
        source: str = "",
        redact: Iterable[str] = (),
    ):
        self.output = Path(output)
        self.main = main  # a spec of its own (`record`), else a file to include
        self.source = source
        self.redact = frozenset(h.strip().lower() for h in redact if h.strip())
        self.base = self.output.read_text("utf-8") if self.output.exists() else ""
        self.seen: list[Recording] = []
        self.notes: list[str] = []
        self._lock = threading.Lock()

    def listen(self, exchange: Exchange, entry: Entry) -> None:
        """A listener: keep each forwarded exchange whose answer the proxy kept whole."""
        if exchange.upstream is not None:
            recording = seen(exchange)
            with self._lock:
                self.seen.append(recording)

    def recordings(self) -> list[Recording]:
        with self._lock:
            pending = list(self.seen)
        recordings = []
        for recording in pending:
            finished = finish(recording)
            if finished is None:
                what = f"{recording.method} {recording.path}"
                self.notes.append(f"{what}: the answer broke off; not recorded")
            else:
                recordings.append(finished)
        return recordings

    def save(self) -> dict[str, Any]:
        """Write the file: its text as it was, plus everything recorded so far."""
        self.notes = []
        writer = Writer(self.output.resolve().parent, self.redact, self.notes)
        header = self.header()
        text, routes = merged_text(self.base, self.recordings(), writer, header=header)
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.output.write_text(text, "utf-8")
        return {
            "file": str(self.output),
            "routes": routes,
            "fixtures": len(writer.fixtures),
            "notes": list(self.notes),
        }

    def header(self) -> str:
        lines = [f"# Recorded from {self.source} by mockserve\n"]
        if self.main:
            lines += ["mockserve: 1\n", f"title: {json.dumps('Recorded from ' + self.source)}\n"]
        return "".join(lines)


def recording_spec(url: str, ca: str | None = None) -> Spec:
    """The spec `mockserve record URL` serves: no routes, everything forwarded to URL."""
    proxy = Proxy(to=url, when="always", ca=ca)
    return Spec(source=url, title=f"recorder of {url}", settings=Settings(proxy=proxy), routes=())


def start_recording(
    app: Flask, output: str | Path, *, main: bool, redact: Iterable[str] = ()
) -> Recorder:
    """Record what the app forwards into `output`; `POST {admin}/record/save` saves now."""
    mock: Mock = app.extensions["mockserve"]
    upstream = app.extensions.get(EXTENSION)
    if upstream is None:
        raise ValueError("nothing is forwarded: set settings.proxy.to or --proxy-to")
    upstream.keep_bodies = True
    recorder = Recorder(output, main=main, source=upstream.url, redact=redact)
    mock.listen(recorder.listen)
    admin = mock.spec.settings.admin
    if admin:
        blueprint = Blueprint("mockserve_record", __name__, url_prefix=admin)
        blueprint.before_request(lambda: guard(mock, request))

        @blueprint.post("/record/save")
        def save() -> Response:
            return json_response(recorder.save())

        app.register_blueprint(blueprint)
    return recorder


def forwarded_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as a proxy passes them on (for recordings made from elsewhere, e.g. HAR)."""
    return end_to_end(list(headers))
