"""`mockserve import`: write the spec that serves an OpenAPI document or recorded traffic (HAR)."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import SpecError
from ..report import plural
from .common import warn


def _import_har(har: dict, document: str, output: str) -> None:
    """`mockserve import traffic.har -o spec.yaml`: the spec that answers as recorded."""
    from ..har import HarError, write_spec

    try:
        saved = write_spec(har, document, output)
    except HarError as exc:
        click.echo(f"{document}: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"{output}: cannot write: {exc.strerror or exc}", err=True)
        sys.exit(1)
    for note in saved["notes"]:
        click.echo(f"{document}: note: {note}", err=True)
    fixtures = f", {plural(saved['fixtures'], 'fixture')}" if saved["fixtures"] else ""
    click.echo(f"{output}: written ({plural(saved['routes'], 'route')}{fixtures})")


@click.command("import")
@click.argument("document", type=click.Path(dir_okay=False))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the spec (YAML).",
)
@click.option(
    "--seed", type=int, default=None, help="Seed for the bodies generated from schemas (default 0)."
)
def import_(document: str, output: str, seed: int | None) -> None:
    """Write the mockserve spec that serves DOCUMENT (OpenAPI, or a HAR of recorded traffic)."""
    from ..har import read_har

    har = read_har(document)
    if har is not None:  # JSON with log.entries: recorded traffic
        _import_har(har, document, output)
        return

    from ..spec.loader import paused_gc

    with paused_gc():  # reading, converting and writing: a big graph that all stays alive
        _import_openapi(document, output, seed)


EXPECTED = "an OpenAPI document (an 'openapi' key) or a HAR file (log.entries)"


def _what_it_is(document: str, source: Any) -> str:
    """Why DOCUMENT cannot be imported: what it is, and what was expected."""
    try:
        with open(document, "rb") as handle:
            start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not start:
        return f"is empty; expected {EXPECTED}"
    if source is None:
        return f"is neither JSON nor YAML; expected {EXPECTED}"
    data = source.data
    if isinstance(data, dict) and "swagger" in data:
        version = data["swagger"]
        return f"is a Swagger {version} document; convert it to OpenAPI 3 (expected {EXPECTED})"
    if isinstance(data, dict) and "mockserve" in data:
        return f"is a mockserve spec already: serve it with `mockserve run {document}`"
    kind = "JSON" if start[:1] in (b"{", b"[") else "YAML"
    if isinstance(data, dict):
        keys = ", ".join(repr(str(key)) for key in list(data)[:5])
        more = ", ..." if len(data) > 5 else ""
        shape = f"an object with keys {keys}{more}" if data else "an empty object"
    else:
        names: dict[type, str] = {list: "a list", str: "a text"}
        shape = names.get(type(data), f"a {type(data).__name__}")
    return f"is {kind} ({shape}), not {EXPECTED}"


def _import_openapi(document: str, output: str, seed: int | None) -> None:
    from ..openapi import openapi_spec
    from ..spec.loader import Loader
    from ..spec.writer import write_spec

    loader = Loader(document, seed=seed)
    source = loader.read_main()
    if source is None or not isinstance(source.data, dict) or "openapi" not in source.data:
        for problem in loader.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{document}: {_what_it_is(document, source)}", err=True)
        sys.exit(2)
    try:
        data, warnings, spec = openapi_spec(source, loader)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)
    warn(document, warnings)
    header = f"# mockserve spec imported from {document} by `mockserve import`\n"
    try:
        with open(output, "w", encoding="utf-8") as handle:
            write_spec(data, handle, header=header)  # block YAML, filed in the parse cache
    except OSError as exc:
        click.echo(f"{output}: cannot write: {exc.strerror or exc}", err=True)
        sys.exit(1)
    routes = len(spec.routes)
    click.echo(f"{output}: written ({plural(routes, 'route')}, {plural(len(warnings), 'warning')})")
