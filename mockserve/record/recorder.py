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
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, request
from werkzeug.wrappers import Response

from ..access import guard
from ..context import query_dict
from ..exchange import Exchange
from ..journal import Entry
from ..problems import json_response
from ..proxy import EXTENSION, end_to_end
from ..spec.edit import existing_routes, indented, insert
from ..spec.model import Proxy, Settings, Spec
from ..spec.writer import dump_yaml
from .recording import Recording, decode_body, header_value
from .routes import Writer

if TYPE_CHECKING:
    from ..mock import Mock

CAPTURE_WAIT = 10.0  # seconds a save waits for an answer still streaming


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
    encoding = header_value(headers, "Content-Encoding")
    if encoding:
        decoded = decode_body(body, encoding)
        if decoded is not None:
            body = decoded
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
    return dataclasses.replace(recording, headers=headers, answer=body, capture=None)


def merged_text(
    base: str, recordings: list[Recording], writer: Writer, *, header: str = ""
) -> tuple[str, int]:
    """`base` with routes for `recordings` added as text; and how many routes were added."""
    if base and not base.endswith("\n"):
        base += "\n"
    existing, place = existing_routes(base)
    groups: dict[tuple[str, str], list[Recording]] = {}
    for rec in recordings:
        refused = writer.refused(rec)
        if refused is None:
            groups.setdefault((rec.method.upper(), rec.path), []).append(writer.redacted(rec))
        elif refused not in writer.notes:
            writer.notes.append(refused)
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
            inserts.append((found.branches.index, indented(text, found.branches.indent), 0))
        elif any(rec.route is not None for rec in recs):
            writer.notes.append(
                f"{method} {path}: answered by route {recs[0].route!r} of the spec when a "
                "'when' holds; add this variant there by hand; not recorded"
            )
        else:
            new_routes.append(writer.route(recs))
    if new_routes:
        text = place.before + indented(dump_yaml(new_routes), place.indent)
        inserts.append((place.index, text, place.replace))
    if not base:
        base = header
        inserts = [(len(base), text, 0) for _, text, _ in inserts]
    return insert(base, inserts), len(new_routes)


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
