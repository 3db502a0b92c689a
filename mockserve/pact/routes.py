"""A pact as something to serve: each interaction a route whose answer is its response.

The routes are the spec model's own (`Route`, `ResponseTemplate`), so an interaction
is answered, journaled and logged like any route; what differs is how a request finds
it: by the Pact matcher (`matching.py`), not by Flask's URL map, since a pact's path,
query, headers and body all decide. Everything is compiled here, once, at load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError, SpecProblem
from ..spec.model import Body, Contract, ResponseTemplate, Route, RouteParts, Settings, Spec
from ..spec.source import SourceFile
from ..templating import Constant, Value
from .generators import GeneratorError, generated_value, read_generator
from .model import EMPTY, MISSING, NULL, Interaction, Pact
from .reader import read_pact


@dataclass(frozen=True)
class Served:
    """One interaction and the route that answers it."""

    interaction: Interaction
    route: Route


@dataclass(frozen=True)
class ServedPact:
    """What a served pact hangs on `Spec.pact`: the pact and its interactions' routes."""

    pact: Pact
    served: tuple[Served, ...]
    by_route: dict[str, Served] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_route.update({item.route.name: item for item in self.served})


def spec_from_pact(source: SourceFile, *, seed: int | None = None) -> Spec:
    """A parsed pact file as a Spec to serve (no URL routes: the Pact matcher finds them).

    `seed` makes generated values repeatable (`run --seed`)."""
    pact = read_pact(source)
    served: list[Served] = []
    problems: list[SpecProblem] = []
    names: set[str] = set()
    for interaction in pact.interactions:
        name = _unique(interaction, names)
        try:
            template = response_template(interaction)
        except GeneratorError as exc:
            line, column = source.locate(_path(interaction.where) + ("response", "generators"))
            where = interaction.where + "/response/generators"
            problems.append(SpecProblem(source.name, line, column, where, str(exc)))
            continue
        route = Route(
            name=name,
            methods=(interaction.request.method,),
            path=interaction.request.path,
            rule=interaction.request.path,
            parts=RouteParts(Contract(), (template,)),
            where=interaction.where,
        )
        served.append(Served(interaction, route))
    if problems:
        raise SpecError(problems)
    location = getattr(source, "location", None)
    return Spec(
        source=source.name,
        title=f"{pact.consumer} -> {pact.provider} (Pact {pact.version})",
        settings=Settings(seed=seed),
        routes=(),
        warnings=pact.warnings,
        files=(str(location),) if location is not None else (),
        pact=ServedPact(pact, tuple(served)),
    )


def _path(pointer: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in pointer.strip("/").split("/") if p)


def _unique(interaction: Interaction, names: set[str]) -> str:
    """The description, with its provider states when another interaction shares it."""
    name = interaction.description
    if name in names and interaction.states:
        name = f"{name} [{', '.join(interaction.state_names)}]"
    base, count = name, 2
    while name in names:
        name, count = f"{base} ({count})", count + 1
    names.add(name)
    return name


def response_template(interaction: Interaction) -> ResponseTemplate:
    """The interaction's response as a route's answer, its generators compiled."""
    response = interaction.response
    params: dict[str, Any] = {}
    for state in interaction.states:
        params.update(state.params)
    generators = response.generators
    headers: list[tuple[str, Value]] = []
    header_generators = _category(generators, "header")
    for name, value in response.headers:
        raw = header_generators.get(name)
        headers.append((name, read_generator(raw, params) if raw else Constant(value)))
    body = response.body
    content_type = body.content_type or response.header("Content-Type")
    if body.state in (MISSING, NULL, EMPTY):
        answer = Body("none", None, static=b"")
    elif body.is_json:
        compiled = generated_value(body.value, _category(generators, "body"), params)
        static = body.raw if compiled.constant else None
        answer = Body("json", content_type or "application/json", compiled, static=static)
    else:
        answer = Body("body", content_type, static=body.raw)
    status_generator = _category(generators, "status")
    status_value = read_generator(status_generator, params) if status_generator else None
    return ResponseTemplate(
        status=response.status,
        status_value=status_value,
        body=answer,
        headers=tuple(headers),
        where=interaction.where + "/response",
    )


def _category(generators: dict[str, Any], name: str) -> dict[str, Any]:
    value = generators.get(name) or {}
    if not isinstance(value, dict):
        raise GeneratorError(f"generators.{name} is an object")
    return value
