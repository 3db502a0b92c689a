"""Commands that read a spec without serving it: validate, routes and schema."""

from __future__ import annotations

import json
import sys

import click

from ..errors import SpecError
from ..loading import load_spec
from ..report import plural
from .common import counts, load, warn


@click.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(specs: tuple[str, ...]) -> None:
    """Check each SPEC; exit 0 when all are valid, 2 listing every problem otherwise."""
    failed = False
    for path in specs:
        try:
            loaded = load_spec(path)
        except SpecError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(f"{path}: {plural(count, 'problem')}", err=True)
            continue
        warn(path, loaded.warnings)
        click.echo(f"{path}: ok ({counts(loaded)})")
    sys.exit(2 if failed else 0)


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
def routes(spec: str) -> None:
    """List the routes SPEC serves: method, path and name."""
    loaded = load(spec)
    from ..resources import resource_routes

    rows = [(",".join(r.methods), r.path, r.name) for r in loaded.routes]
    rows += [(r.method, r.path, r.name) for res in loaded.resources for r in resource_routes(res)]
    rows += [("WEBSOCKET", s.path, "") for s in loaded.websockets]
    rows += [("GET,POST", g.path, g.name) for g in loaded.graphql]
    if loaded.pact is not None:  # a pact's interactions, each a route found by its matcher
        rows += [
            (",".join(i.route.methods), i.route.path, i.route.name) for i in loaded.pact.served
        ]
    widths = [
        max([len(h)] + [len(row[i]) for row in rows])
        for i, h in enumerate(("METHOD", "PATH", "NAME"))
    ]
    for row in [("METHOD", "PATH", "NAME"), *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@click.command()
def schema() -> None:
    """Print the spec format's JSON Schema, for editors (`mockserve schema > spec.schema.json`)."""
    from ..spec import format_schema

    click.echo(json.dumps(format_schema(), indent=2))
