"""The `import` and `verify` tools: the commands of the same names, as results an agent reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..spec import Spec
from .specfile import Refused


def import_document(source: Path, target: Path) -> dict[str, Any]:
    """Write the spec that serves `source` at `target`, a file not there yet.

    `source` is what `mockserve import` reads: an OpenAPI document, a HAR, a Postman
    collection, WireMock mappings (a file or a folder), a Mockoon environment, curl lines.
    """
    from ..imports import READERS, SourceError, detect, read

    if target.exists():
        raise Refused(
            f"spec: {target} exists; give a new file's path in `spec` (this tool never "
            "overwrites a spec: edit it with the route tools)"
        )
    if not source.exists():
        raise Refused(f"document: {source}: no such file or folder")
    label = source.name
    try:
        text = None if source.is_dir() else source.read_text("utf-8")
        kind = detect(source, text, label)
        if kind in READERS:
            return _write_imported(read(kind, source, text, label), label, kind, target)
    except SourceError as exc:
        raise Refused("document: " + "\n".join(exc.problems)) from None
    except UnicodeDecodeError:
        raise Refused(f"document: {source}: not UTF-8 text") from None
    if kind == "har":
        return _import_har(source, target)
    return _import_openapi(source, target)


def _write_imported(imported: Any, label: str, kind: str, target: Path) -> dict[str, Any]:
    """The spec and its fixtures, written only when the spec loads."""
    from ..imports.write import write_imported

    spec = write_imported(imported, label, kind, target)
    return {
        "spec": str(target),
        "routes": len(spec.routes),
        "dropped": [str(d) for d in imported.dropped],
    }


def _import_har(source: Path, target: Path) -> dict[str, Any]:
    from ..har import HarError, read_har
    from ..har import write_spec as write_har_spec

    har = read_har(source)
    if har is None:
        raise Refused(f"document: {source}: not a HAR file (no log.entries)")
    try:
        saved = write_har_spec(har, str(source), target)
    except HarError as exc:
        raise Refused(f"document: {source}: {exc}") from None
    return {"spec": str(target), "routes": saved["routes"], "notes": saved["notes"]}


def _import_openapi(source: Path, target: Path) -> dict[str, Any]:
    from ..openapi import openapi_spec
    from ..spec.loader import Loader, paused_gc
    from ..spec.writer import write_spec

    with paused_gc():
        loader = Loader(source)
        read = loader.read_main()
        if read is None or not isinstance(read.data, dict) or "openapi" not in read.data:
            if loader.problems:
                raise SpecError(loader.problems)
            raise Refused(f"document: {source}: not an OpenAPI document (no 'openapi' key)")
        data, warnings, spec = openapi_spec(read, loader)
        header = f"# mockserve spec imported from {source.name} by mockserve\n"
        with open(target, "w", encoding="utf-8") as handle:
            write_spec(data, handle, header=header)
    return {
        "spec": str(target),
        "routes": len(spec.routes),
        "warnings": [str(w) for w in warnings],
    }


def verify_spec(spec: Spec, url: str, routes: tuple[str, ...]) -> dict[str, Any]:
    """Each case of the spec's routes sent to the spec and to `url`, and how they compare."""
    from urllib.parse import urlsplit

    from ..verify import Unreachable, Verifier, cases

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Refused(f"url: {url!r} is not an http(s) URL (e.g. http://localhost:8080)")
    names = {route.name for route in spec.routes}
    unknown = [name for name in routes if name not in names]
    if unknown:
        listed = ", ".join(sorted(names))
        raise Refused(
            f"routes: no route named {', '.join(map(repr, unknown))} (there are: {listed})"
        )
    verifier = Verifier(spec, url)
    outcomes = []
    try:
        for case in cases(spec, routes):
            outcome = verifier.run(case)
            result = "passed" if outcome.passed else "skipped" if outcome.skipped else "failed"
            shown: dict[str, Any] = {"case": case.name, "route": case.route.name, "result": result}
            if outcome.differences:
                shown["differences"] = outcome.differences
            if outcome.skipped:
                shown["skipped"] = outcome.skipped
            outcomes.append(shown)
    except Unreachable as exc:
        raise Refused(f"url: {exc}") from None
    counts = {
        k: sum(1 for o in outcomes if o["result"] == k) for k in ("passed", "failed", "skipped")
    }
    return {"url": url, **counts, "cases": outcomes}
