"""The Pact specification's match cases (shared/corpus/pact-specification) for the tests.

Each case is `{"match", "comment", "expected", "actual"}` in the pact form of its
version. Helpers here list the cases (and those left out, with why), build a pact of a
version from expected parts, and put an `actual` part on the wire as HTTP bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

_HERE = Path(__file__).resolve()
CORPUS = next(
    (
        parent / "shared" / "corpus" / "pact-specification"
        for parent in _HERE.parents
        if (parent / "shared" / "corpus" / "pact-specification").is_dir()
    ),
    _HERE.parents[2] / "shared" / "corpus" / "pact-specification",
)
VERSIONS = (1, 2, 3, 4)


def all_cases() -> list[Path]:
    return sorted(CORPUS.glob("version-*/*/*/*.json"))


def left_out(case: Path) -> str | None:
    """Why a case is not run (None: it is run)."""
    if "xml" in case.stem.lower():
        return "XML body: the format's Pact section names JSON and text bodies only"
    return None


def cases(kind: str | None = None, version: int | None = None) -> list[Path]:
    """The cases run: `kind` request or response, of one `version` or all."""
    return [
        case
        for case in all_cases()
        if left_out(case) is None
        and (kind is None or case.parts[-3] == kind)
        and (version is None or version_of(case) == version)
    ]


def version_of(case: Path) -> int:
    return int(case.parts[-4].removeprefix("version-"))


def case_id(case: Path) -> str:
    return str(case.relative_to(CORPUS)).removesuffix(".json")


def load_case(case: Path) -> dict[str, Any]:
    return json.loads(case.read_text(encoding="utf-8-sig"))


def metadata(version: int) -> dict[str, Any]:
    text = {1: "1.0.0", 2: "2.0.0", 3: "3.0.0", 4: "4.0"}[version]
    return {"pactSpecification": {"version": text}}


def interaction(version: int, description: str, state: str, request: Any, response: Any) -> dict:
    """One interaction as a pact of `version` writes it."""
    item: dict[str, Any] = {"description": description, "request": request, "response": response}
    if version <= 2:
        item["providerState"] = state
    else:
        item["providerStates"] = [{"name": state}]
    if version == 4:
        item["type"] = "Synchronous/HTTP"
    return item


def pact(version: int, interactions: list[dict]) -> dict:
    return {
        "consumer": {"name": "corpus-consumer"},
        "provider": {"name": "corpus-provider"},
        "interactions": interactions,
        "metadata": metadata(version),
    }


def wire_headers(part: dict[str, Any]) -> list[tuple[str, str]]:
    """Header values as sent: a value folded over lines (obs-fold) is unfolded, as RFC 9112
    says a recipient reads it (servers refuse a bare line feed inside a header)."""
    headers = []
    for name, value in (part.get("headers") or {}).items():
        text = ", ".join(value) if isinstance(value, list) else value
        headers.append((name, re.sub(r"\r?\n[ \t]+", " ", text)))
    return headers


def wire_body(part: dict[str, Any], version: int) -> bytes | None:
    """The bytes an `actual` part's body is sent as (None: no body at all)."""
    if "body" not in part:
        return None
    body = part["body"]
    content_type = next(
        (v for k, v in wire_headers(part) if k.lower() == "content-type"), "application/json"
    )
    if version == 4 and isinstance(body, dict) and "content" in body:
        content_type = body.get("contentType") or content_type
        body = body["content"]
    if body is None:
        return None
    if isinstance(body, str) and "json" not in content_type:
        return body.encode()
    if body == "":
        return b""
    return json.dumps(body).encode()


def wire_target(part: dict[str, Any]) -> str:
    """Path and query as sent: V1/V2 query strings as written, V3/V4 maps encoded."""
    path = part.get("path", "/")
    query = part.get("query")
    if isinstance(query, str):
        return path + ("?" + query if query else "")
    if isinstance(query, dict) and query:
        pairs = [
            (name, value)
            for name, values in query.items()
            for value in (values if isinstance(values, list) else [values])
        ]
        return path + "?" + urlencode(pairs)
    return path
