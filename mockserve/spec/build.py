"""What compiling a spec's items shares: the loader's services, the problems, the claims.

Routes, resources, contracts and answers are compiled by separate modules; one
`Build` is passed to all of them, so their problems land in one list (the loader's,
or a lazily served route's own) and two routes cannot claim the same method+path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import SpecProblem
from .model import Delay, Settings
from .rules import route_signature
from .schemas import SchemaCompiler
from .source import SourceFile


@dataclass
class Item:
    """A route or resource from some file, with where it was written."""

    source: SourceFile
    path: tuple[Any, ...]
    data: Any


class LoaderServices(Protocol):
    """What compiling needs of the loader, which owns the files, problems and warnings."""

    generated: bool
    root_dir: Path
    problems: list[SpecProblem]
    complete_route: Callable[[dict[str, Any]], list[str]] | None

    def resolve_file(self, name: str, source: SourceFile, at: tuple) -> Path | None: ...

    def delay(self, source: SourceFile, at: tuple, raw: Any) -> Delay | None: ...

    def warn_implicit_bools(self, source: SourceFile, under: tuple) -> None: ...

    def check_schema(
        self,
        compiler: SchemaCompiler,
        source: SourceFile,
        at: tuple,
        schema: Any,
        problems: list[SpecProblem] | None = None,
        *,
        name: str | None = None,
    ) -> bool: ...


class Build:
    """One compilation of a spec's items; records problems on the loader (or its own list)."""

    def __init__(
        self,
        loader: LoaderServices,
        compiler: SchemaCompiler,
        settings: Settings,
        problems: list[SpecProblem] | None = None,
    ):
        self.loader = loader
        self.compiler = compiler
        self.settings = settings
        # (method, path signature) -> the path that claimed it first, and where (located,
        # as "FILE:LINE by ...", only when a duplicate comes)
        self.seen: dict[tuple[str, str], tuple[str, tuple[SourceFile, tuple, str, bool]]] = {}
        self.names: set[str] = set()
        self._problems = problems  # its own list when compiling a route after load

    @property
    def problems(self) -> list[SpecProblem]:
        return self.loader.problems if self._problems is None else self._problems

    def problem(
        self, item_source: SourceFile, at: tuple, message: str, *, key: bool = False
    ) -> None:
        self.problems.append(item_source.problem(at, message, key=key))

    def check_schema(self, source: SourceFile, at: tuple, schema: Any) -> bool:
        return self.loader.check_schema(self.compiler, source, at, schema, self.problems)

    def claim(
        self,
        source: SourceFile,
        at: tuple,
        name: str,
        methods: tuple[str, ...],
        path: str,
        *,
        explicit: bool,
    ) -> None:
        """Record a route's name and method+path; the second of two is the error."""
        admin = self.settings.admin
        if admin and (path == admin or path.startswith(admin + "/")):
            self.problem(
                source,
                at + ("path",),
                f"{path!r} is under the admin path {admin!r} (change settings.admin)",
            )
        signature = route_signature(path)
        duplicate = False
        for method in methods:
            key = (method, signature)
            if key in self.seen:
                duplicate = True
                first_path, (first_source, first_at, first_name, first_explicit) = self.seen[key]
                first = self._where(first_source, first_at, first_name, explicit=first_explicit)
                shown = f" as {first_path}" if first_path != path else ""
                self.problem(
                    source,
                    at + ("path",),
                    f"duplicate route {method} {path}; first defined at {first}{shown}",
                )
            else:  # located only if a duplicate comes: locating may parse the file again
                self.seen[key] = (path, (source, at, name, explicit))
        if name in self.names and not duplicate:
            self.problem(
                source,
                at + (("name",) if explicit else ("path",)),
                f"route name {name!r} is used twice",
            )
        self.names.add(name)

    @staticmethod
    def _where(source: SourceFile, at: tuple, name: str, *, explicit: bool) -> str:
        """Where a route was defined, for the duplicate that comes later: `FILE:LINE by ...`."""
        line = source.locate(at + ("path",))[0]
        if at[0] == "resources":
            return f"{source.name}:{line} by resource {at[1]!r}"
        return f"{source.name}:{line}" + (f" by {name!r}" if explicit else "")


def mapping(value: Any) -> dict[Any, Any]:
    """`value` if it is a mapping, else empty: the format check has already reported it."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """`value` if it is a list, else empty: the format check has already reported it."""
    return value if isinstance(value, list) else []
