"""`mockserve import`: write the spec that serves what another tool describes.

OpenAPI documents and HAR traffic as before; Postman collections, WireMock mappings,
Mockoon environments and curl lines through `mockserve.imports`. Every feature that is
not carried is one warning line `SOURCE:WHERE: what`; `--strict` exits 1 when any was.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from ..errors import SpecError
from ..imports import FORMATS, READERS, Imported, SourceError, detect, read
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
@click.argument("source", type=click.Path(allow_dash=True))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the spec (YAML).",
)
@click.option(
    "--from",
    "kind",
    type=click.Choice(FORMATS),
    default=None,
    help="The source's format (default: detected).",
)
@click.option("--strict", is_flag=True, help="Exit 1 when any feature of the source was dropped.")
@click.option(
    "--seed", type=int, default=None, help="Seed for the bodies generated from schemas (default 0)."
)
def import_(source: str, output: str, kind: str | None, strict: bool, seed: int | None) -> None:
    """Write the mockserve spec that serves SOURCE.

    SOURCE is an OpenAPI document, a HAR of recorded traffic, a Postman collection
    (v2.0/v2.1), WireMock mappings (a folder with mappings/ and __files/, one mapping file,
    or an export), a Mockoon environment, or a file of curl command lines; `-` reads stdin.
    """
    path = None if source == "-" else Path(source)
    label = "<stdin>" if path is None else source
    text: str | None = None
    try:
        if path is None:
            text = sys.stdin.read()
        elif not path.is_dir():
            from ..spec.loader import MAX_FILE_BYTES, too_large

            if path.stat().st_size > MAX_FILE_BYTES:  # refused before any of it is read
                _fail([f"{label}: {too_large(path.stat().st_size)}"])
            text = path.read_text("utf-8")
    except FileNotFoundError:
        _fail([f"{label}: no such file or folder"])
    except UnicodeDecodeError:
        _fail([f"{label}: not UTF-8 text"])
    except OSError as exc:
        _fail([f"{label}: cannot read: {exc.strerror or exc}"])
    try:
        kind = kind or detect(path, text, label)
        if kind in READERS:
            imported = read(kind, path, text, label)
        elif path is None or path.is_dir():
            raise SourceError([f"{label}: {kind} is read from a file, not a folder or stdin"])
    except SourceError as exc:
        _fail(exc.problems)
    if kind in READERS:
        _write_imported(imported, label, kind, output, strict)
    elif kind == "har":
        from ..har import read_har

        har = read_har(source)
        if har is None:
            _fail([f"{label}:/: not a HAR file (no log.entries)"])
        else:
            _import_har(har, source, output)
    else:
        from ..spec.loader import paused_gc

        with paused_gc():  # reading, converting and writing: a big graph that all stays alive
            _import_openapi(source, output, seed)


def _fail(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(problem, err=True)
    click.echo("nothing written.", err=True)
    sys.exit(2)


def _write_imported(imported: Imported, label: str, kind: str, output: str, strict: bool) -> None:
    """Write fixtures and the spec, check that it loads, then say what was dropped."""
    from ..imports.write import write_imported

    try:
        write_imported(imported, label, kind, Path(output))
    except SpecError as exc:
        _fail([f"{output}: the imported spec does not load:"] + [str(p) for p in exc.problems])
    except OSError as exc:
        click.echo(f"{output}: cannot write: {exc.strerror or exc}", err=True)
        sys.exit(1)
    for dropped in imported.dropped:
        click.echo(f"{dropped}", err=True)
    routes = len(imported.data.get("routes", []))
    resources = len(imported.data.get("resources", {}))
    parts = [plural(routes, "route")]
    if resources:
        parts.append(plural(resources, "resource"))
    if imported.fixtures:
        parts.append(plural(len(imported.fixtures), "fixture"))
    parts.append(f"{plural(len(imported.dropped), 'feature')} dropped")
    click.echo(f"{output}: written ({', '.join(parts)})")
    if strict and imported.dropped:
        click.echo(f"{label}: --strict: features were dropped (listed above)", err=True)
        sys.exit(1)


def _not_openapi(source: Any) -> str:
    """Why a document read as OpenAPI is not one: what it is, and what was expected."""
    from ..imports import shape

    data = source.data if source is not None else None
    if isinstance(data, dict) and "swagger" in data:
        return f"a Swagger {data['swagger']} document; convert it to OpenAPI 3 (an 'openapi' key)"
    return f"not an OpenAPI document ({shape(data)}; expected an 'openapi' key)"


def _import_openapi(document: str, output: str, seed: int | None) -> None:
    from ..openapi import openapi_spec
    from ..spec.loader import Loader
    from ..spec.writer import write_spec

    loader = Loader(document, seed=seed)
    source = loader.read_main()
    if source is None or not isinstance(source.data, dict) or "openapi" not in source.data:
        for problem in loader.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{document}: {_not_openapi(source)}", err=True)
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
