"""The spec files an agent may read and edit: one folder, edits checked before they land.

Every edit is made on the file's text (`spec/edit.py` finds the places), loaded as it
would be written, and written only when it loads without a problem; otherwise nothing
is written and the refusal lists the problems. The rest of the file, comments included,
stays byte for byte.
"""

from __future__ import annotations

import functools
import json
import os
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..errors import SpecError, SpecProblem
from ..loading import document_kind, load_spec
from ..report import plural
from ..spec import Spec
from ..spec.edit import RouteText, existing_routes, insert, list_item, route_texts, routes_node
from ..spec.model import route_name
from ..spec.writer import dump_yaml, scalar_text, write_atomic


class Refused(Exception):
    """What the agent asked cannot be done; the message says what to fix."""


Method = TypeVar("Method", bound=Callable[..., Any])


def _one_at_a_time(method: Method) -> Method:
    """Tools run in threads: an edit reads, checks and writes the file before the next."""

    @functools.wraps(method)
    def locked(self: SpecFiles, *args: Any, **kwargs: Any) -> Any:
        with self._editing:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


def _spaced(text: str) -> bool:
    """True when the file's first two routes have a blank line between them."""
    try:
        routes = route_texts(text)
    except (ValueError, yaml.YAMLError):
        return False
    return len(routes) > 1 and "\n\n" in "\n" + text[routes[0].end : routes[1].start]


@dataclass(frozen=True)
class Edited:
    """A route edit that was written: the file and the lines the route now spans."""

    path: Path
    name: str
    lines: tuple[int, int] | None  # None when the route was removed
    main: Path  # the spec that loads the file (the file itself, unless it is an include)
    spec: Spec  # that spec, as loaded with the edit

    def as_json(self, action: str) -> dict[str, Any]:
        shown: dict[str, Any] = {"spec": str(self.path), action: self.name}
        if self.lines is not None:
            shown["lines"] = list(self.lines)
        return shown


class SpecFiles:
    """The spec given at start (if any) and the folder whose specs may be edited."""

    def __init__(self, spec: str | os.PathLike[str] | None):
        self.default = Path(spec) if spec is not None else None
        base = self.default.resolve().parent if self.default is not None else Path.cwd()
        self.folder = base.resolve()
        # The specs mocks of this session serve (an edited include reloads them).
        self.served: Callable[[], list[Path]] = list
        self._editing = threading.Lock()

    def path(self, given: str | None) -> Path:
        """The spec a tool works on: `given` (inside the folder), else the one from the start."""
        if given is None or not given.strip():
            if self.default is None:
                raise Refused(
                    "no spec: pass `spec` (a spec file's path), or start the server with "
                    "`mockserve mcp SPEC`"
                )
            return self.default
        target = Path(given)
        if not target.is_absolute():
            target = self.folder / target
        resolved = target.resolve()
        if resolved != self.folder and self.folder not in resolved.parents:
            raise Refused(
                f"{given}: outside {self.folder}; this server reads and edits only spec files "
                "in that folder (give a path inside it)"
            )
        return resolved

    def existing(self, given: str | None) -> Path:
        """As `path`, for a spec that must be there already."""
        path = self.path(given)
        if not path.is_file():
            raise Refused(f"spec: {path}: no such file (`import` writes a new spec)")
        return path

    # -- reading -------------------------------------------------------------------

    def load(self, path: Path) -> Spec:
        """The spec at `path`; SpecError lists every problem."""
        return load_spec(path)

    def main_of(self, path: Path) -> Path:
        """The spec that loads `path`: itself, or the spec that includes it (the start
        spec, or one a mock of this session serves)."""
        target = path.resolve()
        candidates = [self.default, *self.served()] if self.default else self.served()
        for main in dict.fromkeys(c.resolve() for c in candidates):
            if main == target:
                return path
            try:
                if str(target) in load_spec(main).files:
                    return main
            except SpecError:
                continue
        return path

    def text(self, path: Path) -> str:
        """The file's text, to edit: refused for a file that is not a spec (OpenAPI)."""
        text = self.read(path)
        try:
            kind = document_kind(yaml.safe_load(text))
        except yaml.YAMLError:
            kind = "spec"  # the check of the edit locates what is wrong
        if kind != "spec":
            raise Refused(
                f"{path}: an OpenAPI document, served as it is; its routes are its paths. "
                "To edit routes, `import` it into a spec and start a mock of that"
            )
        return text

    def read(self, path: Path) -> str:
        try:
            return path.read_text("utf-8")
        except FileNotFoundError:
            raise Refused(
                f"{path}: no such file; create it (e.g. with the `import` tool)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise Refused(f"{path}: cannot read: {exc}") from None

    # -- editing -------------------------------------------------------------------

    @_one_at_a_time
    def add_route(self, path: Path, route: dict[str, Any] | str) -> Edited:
        """Append `route` to the file's routes."""
        base = self.text(path)
        if base and not base.endswith("\n"):
            base += "\n"
        try:
            _, place = existing_routes(base)
        except (ValueError, yaml.YAMLError) as exc:
            raise Refused(f"{path}: cannot add a route: {_reason(exc)}") from None
        raw, written = route_text(route)
        item = list_item(written, place.indent)
        # The file leaves a blank line between routes: so does this one.
        before = place.before + ("\n" if _spaced(base) else "")
        new = insert(base, [(place.index, before + item, place.replace)])
        start = place.index + len(before)
        return self._write(path, new, route_name(raw), (start, start + len(item)))

    @_one_at_a_time
    def update_route(self, path: Path, name: str, route: dict[str, Any] | str) -> Edited:
        """Replace the route named `name` with `route` (keeping its name when `route` has none)."""
        base = self.text(path)
        found = self._find(path, base, name)
        raw, written = route_text(route, keep_name=name if found.named else None)
        item = list_item(written, found.indent)
        new = insert(base, [(found.start, item, found.end - found.start)])
        span = (found.start, found.start + len(item))
        return self._write(path, new, route_name(raw), span)

    @_one_at_a_time
    def remove_route(self, path: Path, name: str) -> Edited:
        """Remove the route named `name`, with its text (comments above it stay)."""
        base = self.text(path)
        found = self._find(path, base, name)
        start = found.start - (1 if base.endswith("\n\n", 0, found.start) else 0)
        new = insert(base, [(start, "", found.end - start)])  # with the blank line above it
        key, value = routes_node(yaml.compose(new))
        if key is not None and (not isinstance(value, yaml.SequenceNode) or not value.value):
            # The last route went: `routes:` alone would read as null.
            colon = key.end_mark.index + 1
            new = new[:colon] + " []" + new[colon:]
        return self._write(path, new, name, None)

    def _find(self, path: Path, text: str, name: str) -> RouteText:
        try:
            routes = route_texts(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise Refused(f"{path}: cannot edit its routes: {_reason(exc)}") from None
        for route in routes:
            if route.name == name:
                return route
        names = ", ".join(repr(r.name) for r in routes) or "none"
        raise Refused(
            f"{path}: no route named {name!r} in this file (its routes: {names}); "
            "`list_routes` gives every name"
        )

    def _write(self, path: Path, new: str, name: str, span: tuple[int, int] | None) -> Edited:
        """Check the edited text through the spec that loads it; write it only if it loads."""
        lines = None
        if span is not None:
            lines = (new.count("\n", 0, span[0]) + 1, new.count("\n", 0, span[1] - 1) + 1)
        main = self.main_of(path)
        try:
            spec = load_spec(main, edited={path.resolve(): new})
        except SpecError as exc:
            refusal = _refusal(path, exc.problems, new, lines)
            try:
                load_spec(main)
            except SpecError as before:
                count = plural(len(before.problems), "problem")
                refusal += f"\nThe spec had {count} before this edit: `validate_spec` lists them."
            raise Refused(refusal) from None
        except yaml.YAMLError as exc:  # pragma: no cover - the loader locates YAML errors
            raise Refused(f"{path}: the edit would not be YAML: {exc}") from None
        write_atomic(path, new)
        return Edited(path, name, lines, main, spec)


def route_text(route: dict[str, Any] | str, keep_name: str | None = None) -> tuple[dict, str]:
    """A route given as an object or as YAML text: its data and the text to write.

    Text is written as given (comments and all); an object is written as block YAML.
    `keep_name`: a `name` to add when the route has none.
    """
    if isinstance(route, str):
        written = textwrap.dedent(route).strip("\n")
        try:
            raw = yaml.safe_load(written) if written.strip() else None
        except yaml.YAMLError as exc:
            raise Refused(f"route: not YAML: {_reason(exc)}") from None
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
            flow = False
        else:
            flow = written.lstrip().startswith("{")
        if not isinstance(raw, dict):
            raise Refused(
                "route: give one route, as an object or as YAML text of a mapping "
                "(e.g. `path: /users` with a `response`)"
            )
        if keep_name is not None and "name" not in raw:
            if flow or written.lstrip().startswith("- "):
                raw = {"name": keep_name, **raw}
                written = dump_yaml(raw)
            else:
                written = f"name: {scalar_text(keep_name)}\n{written}"
                raw = {"name": keep_name, **raw}
        return raw, written
    if not route:
        raise Refused("route: empty; give at least `path` and a `response`")
    raw = {"name": keep_name, **route} if keep_name is not None and "name" not in route else route
    return raw, dump_yaml(raw)


def _refusal(
    path: Path, problems: list[SpecProblem], text: str, lines: tuple[int, int] | None
) -> str:
    head = (
        f"refused: with this edit {path} would have {plural(len(problems), 'problem')}; "
        "nothing was written. Fix the route and call again."
    )
    shown = [head, *(str(p) for p in problems)]
    if lines is not None:
        first, last = lines
        numbered = text.splitlines()[first - 1 : last]
        shown.append(f"The route as it would have been written (lines {first}-{last}):")
        shown += [f"{first + i:5}  {line}" for i, line in enumerate(numbered)]
    return "\n".join(shown)


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split())


def dumps(value: Any) -> str:
    """A tool's result: JSON text, readable by a person too."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
