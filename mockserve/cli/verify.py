"""`mockserve verify`: does the real backend still answer as the spec says?"""

from __future__ import annotations

import sys
from typing import Any

import click

from .common import http_url, load, upstream_ca_option


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--against", "url", required=True, metavar="URL", help="The backend to check.")
@click.option(
    "--route", "routes", multiple=True, metavar="NAME", help="Check only this route (repeatable)."
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'K: V'",
    help="Send this header with every request, to both (e.g. credentials; repeatable).",
)
@click.option("--only-safe", is_flag=True, help="Send no POST, PUT, PATCH or DELETE.")
@click.option(
    "--provider-states-setup-url",
    "states_url",
    metavar="URL2",
    default=None,
    help="For a pact: POST each provider state here first, as Pact's verifiers do "
    '({"consumer", "state", "params", "action": "setup"}).',
)
@click.option(
    "--junit", type=click.Path(dir_okay=False), default=None, help="Also write a JUnit XML report."
)
@upstream_ca_option
def verify(
    spec: str,
    url: str,
    routes: tuple[str, ...],
    headers: tuple[str, ...],
    only_safe: bool,
    junit: str | None,
    upstream_ca: str | None = None,
    states_url: str | None = None,
) -> None:
    """Check that the backend at URL still answers as SPEC says.

    Each route's examples (or a request made from its contract) go to the spec, then to
    URL; status, media type, the headers the spec sets and the JSON shape must agree.
    Exit 0 when all agree, 1 when some differ, 2 for a spec error, 3 when URL cannot be
    reached.

    For a pact (SPEC is a Pact file), each interaction is replayed against URL, its
    provider states set up first through --provider-states-setup-url, and the answer
    checked by the pact's matching rules, mismatches printed with Pact's paths.
    """
    from ..verify import Unreachable, Verifier, cases, junit_xml

    loaded = load(spec)
    names = {route.name for route in loaded.routes}
    if loaded.pact is not None:
        names = {item.route.name for item in loaded.pact.served}
    unknown = [name for name in routes if name not in names]
    if unknown:
        click.echo(
            f"{spec}: no route named {', '.join(map(repr, unknown))} "
            f"(there are: {', '.join(sorted(names))})",
            err=True,
        )
        sys.exit(2)
    sent: dict[str, str] = {}
    for header in headers:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise click.BadParameter(f"{header!r} is not 'Name: value'", param_hint="--header")
        sent[name.strip()] = value.strip()
    verifier: Any
    if loaded.pact is not None:
        from ..pact.verify import PactVerifier

        verifier = PactVerifier(
            loaded.pact,
            http_url(url, "--against"),
            states_url=http_url(states_url, "--provider-states-setup-url") if states_url else None,
            headers=sent,
            only_safe=only_safe,
            ca=upstream_ca,
        )
        to_check = verifier.cases(routes)
    else:
        if states_url is not None:
            raise click.UsageError("--provider-states-setup-url is for a pact file")
        verifier = Verifier(
            loaded,
            http_url(url, "--against"),
            headers=sent,
            only_safe=only_safe,
            declared=_declared(spec),
            ca=upstream_ca,
        )
        to_check = cases(loaded, routes)
    outcomes = []
    try:
        for case in to_check:
            outcome = verifier.run(case)
            outcomes.append(outcome)
            click.echo(outcome.line())
    except Unreachable as exc:
        click.echo(f"mockserve: {exc}", err=True)
        sys.exit(3)
    passed = sum(1 for o in outcomes if o.passed)
    failed = sum(1 for o in outcomes if o.skipped is None and not o.passed)
    skipped = len(outcomes) - passed - failed
    click.echo(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if junit is not None:
        try:
            with open(junit, "wb") as handle:
                handle.write(junit_xml(outcomes, url))
        except OSError as exc:
            click.echo(f"{junit}: cannot write: {exc.strerror or exc}", err=True)
            sys.exit(1)
    sys.exit(1 if failed else 0)


def _declared(path: str) -> Any:
    """For an OpenAPI document, the response schemas it declares (verify checks those)."""
    from ..loading import document_kind
    from ..spec.loader import Loader
    from ..verify import declared_schemas

    source = Loader(path).read_main()
    data = source.data if source is not None else None
    if document_kind(data) == "openapi":
        return declared_schemas(data)
    return None
