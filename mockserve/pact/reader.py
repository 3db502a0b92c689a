"""Read a pact file of any specification version into a `Pact`, or say where it is wrong.

The version comes from `metadata` (`pactSpecification.version`, V1's
`pact-specification` or `pactSpecificationVersion`; V2 when none is given). V4's
message interactions (and V3's `messages`) are not HTTP: they are left out with a
warning. Every problem is located by its JSON pointer and line in the file.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, SpecProblem
from ..pointer import json_pointer, unescape_token
from ..spec.source import SourceFile
from .model import Interaction, Pact, ProviderState
from .parts import PartError, major, read_request, read_response

HTTP_TYPES = ("Synchronous/HTTP",)


def is_pact(data: Any) -> bool:
    """True for a parsed pact file: a consumer, a provider and interactions (or messages)."""
    return (
        isinstance(data, dict)
        and "consumer" in data
        and "provider" in data
        and ("interactions" in data or "messages" in data)
    )


def pointer(path: tuple[Any, ...]) -> str:
    return json_pointer(path) or "/"


class _Problems:
    def __init__(self, source: SourceFile):
        self.source = source
        self.found: list[SpecProblem] = []

    def add(self, path: tuple[Any, ...], message: str) -> None:
        line, column = self.source.locate(path)
        self.found.append(SpecProblem(self.source.name, line, column, pointer(path), message))


def spec_version(data: dict[str, Any]) -> str:
    """The specification version a pact says it follows ("2.0.0" when it says none)."""
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        for key in ("pactSpecification", "pact-specification"):
            block = metadata.get(key)
            if isinstance(block, dict) and block.get("version") is not None:
                return str(block["version"])
        if metadata.get("pactSpecificationVersion") is not None:
            return str(metadata["pactSpecificationVersion"])
    return "2.0.0"


def read_pact(source: SourceFile) -> Pact:
    """The pact in `source`; raise SpecError listing every problem, each located."""
    data = source.data
    problems = _Problems(source)
    if not is_pact(data):
        problems.add((), "a pact has 'consumer', 'provider' and 'interactions'")
        raise SpecError(problems.found)
    version_text = spec_version(data)
    version = major(version_text)
    if not 1 <= version <= 4:
        problems.add(("metadata",), f"unknown Pact specification version {version_text!r}")
        raise SpecError(problems.found)
    consumer = _name(data, "consumer", problems)
    provider = _name(data, "provider", problems)
    warnings: list[str] = []
    interactions: list[Interaction] = []
    raw_list = data.get("interactions", [])
    if not isinstance(raw_list, list):
        problems.add(("interactions",), "'interactions' is a list")
        raw_list = []
    if data.get("messages"):
        warnings.append(
            f"{len(data['messages'])} message interaction(s) left out: "
            "mockserve serves and verifies HTTP interactions only"
        )
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for index, raw in enumerate(raw_list):
        at = ("interactions", index)
        if not isinstance(raw, dict):
            problems.add(at, "an interaction is an object")
            continue
        kind = raw.get("type", "Synchronous/HTTP") if version >= 4 else "Synchronous/HTTP"
        if kind not in HTTP_TYPES:
            warnings.append(
                f"{pointer(at)}: {kind} interaction {raw.get('description', '')!r} left out: "
                "mockserve serves and verifies HTTP interactions only"
            )
            continue
        interaction = _interaction(raw, at, version, problems)
        if interaction is None:
            continue
        key = (interaction.description, interaction.state_names)
        if key in seen:
            problems.add(
                at + ("description",),
                f"another interaction has the description {interaction.description!r} "
                "and the same provider states",
            )
        seen.add(key)
        interactions.append(interaction)
    if problems.found:
        raise SpecError(problems.found)
    return Pact(
        source=source.name,
        consumer=consumer,
        provider=provider,
        version=version_text,
        interactions=tuple(interactions),
        warnings=tuple(warnings),
    )


def _name(data: dict[str, Any], who: str, problems: _Problems) -> str:
    block = data.get(who)
    name = block.get("name") if isinstance(block, dict) else None
    if not isinstance(name, str) or not name:
        problems.add((who,), f"the {who} is an object with a 'name'")
        return ""
    return name


def _interaction(
    raw: dict[str, Any], at: tuple[Any, ...], version: int, problems: _Problems
) -> Interaction | None:
    description = raw.get("description")
    if not isinstance(description, str) or not description:
        problems.add(at + ("description",), "an interaction has a 'description' (text)")
        return None
    states = _states(raw, at, problems)
    parts: dict[str, Any] = {}
    for name, read in (("request", read_request), ("response", read_response)):
        if name not in raw:
            problems.add(at, f"an interaction has a '{name}'")
            continue
        try:
            parts[name] = read(raw[name], version)
        except PartError as exc:
            tokens = (unescape_token(p) for p in exc.where.split("/") if p)
            path = at + (name,) + tuple(int(t) if t.isdigit() else t for t in tokens)
            problems.add(path, exc.message)
    if len(parts) != 2:
        return None
    return Interaction(
        description=description,
        request=parts["request"],
        response=parts["response"],
        states=states,
        where=pointer(at),
    )


def _states(
    raw: dict[str, Any], at: tuple[Any, ...], problems: _Problems
) -> tuple[ProviderState, ...]:
    """V1/V2 `providerState` (one name), V3/V4 `providerStates` (names with params)."""
    if isinstance(raw.get("providerState"), str):
        return (ProviderState(raw["providerState"]),)
    listed = raw.get("providerStates")
    if listed is None:
        return ()
    if not isinstance(listed, list):
        problems.add(at + ("providerStates",), "'providerStates' is a list")
        return ()
    states = []
    for index, state in enumerate(listed):
        name = state.get("name") if isinstance(state, dict) else None
        params = state.get("params") if isinstance(state, dict) else None
        if not isinstance(name, str) or not isinstance(params or {}, dict):
            problems.add(
                at + ("providerStates", index), "a provider state is {name, params (an object)}"
            )
            continue
        states.append(ProviderState(name, dict(params or {})))
    return tuple(states)
