"""Load a spec: parse, check against the format's schema, check the rest, compile.

Both checking stages always run, so a user sees every problem at once. The loader
reads the files (the main one and its includes) and the settings; the routes,
resources, contracts and answers compile in modules of their own.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError, SpecProblem, SpecWarning
from .answers import Answers, header_text
from .build import Build, Item, mapping, sequence
from .format import format_validator, problems_from
from .model import DEFAULT_MAX_BODY, Cors, Delay, Proxy, Settings, Spec, TlsFiles
from .resources import compile_resource
from .routes import RouteBuilder
from .schemas import SchemaCompiler, SchemaProblem
from .source import SourceFile, format_path, parse_openapi_fast, parse_source
from .websockets import SocketBuilder

DEFAULT_ADMIN = "/__mockserve"
# The largest spec or document read: what loads within 10 s on a 2-core machine, with
# room. A larger file is refused at once, not read for minutes into gigabytes of memory.
MAX_FILE_BYTES = 256 * 2**20


def _where(warning: SpecWarning) -> tuple[str, int, int]:
    return warning.file, warning.line, warning.column


@dataclass
class _Collected:
    schemas: dict[str, Item] = field(default_factory=dict)
    routes: list[Item] = field(default_factory=list)
    resources: dict[str, Item] = field(default_factory=dict)


class Loader:
    """Reads one spec (and its includes) and builds the frozen `Spec`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        seed: int | None = None,
        lazy: bool = False,
        edited: Mapping[Path, str] | None = None,
    ):
        """`edited`: files' texts (by resolved path) as an edit would leave them, read
        instead of what is on disk, to check the edit before it is written."""
        self.path = Path(path)
        self.edited = edited or {}
        self.display = str(path)
        self.root_dir = self.path.resolve().parent
        self.seed = seed
        self.problems: list[SpecProblem] = []
        self.warnings: set[SpecWarning] = set()
        self.sources: list[SourceFile] = []
        self.files: set[str] = set()  # every file the spec was built from (for --watch)
        # Set when the main file was made by a converter (OpenAPI) whose output has the
        # format's shape and valid JSON Schemas by construction: the format-schema and
        # metaschema passes cost seconds on a 13 MB document. Refs, templates and routes
        # are still checked; `mockserve validate` on an imported spec runs every pass.
        self.generated = False
        # Serving (not validating or importing) a generated spec: each route's contract and
        # answers compile on its first request, so the first answer comes in seconds.
        self.lazy = lazy
        # Set with `lazy` for an OpenAPI document: converts the rest of a route (given its
        # dict) on its first request, returning the warnings that conversion gave.
        self.complete_route: Callable[[dict[str, Any]], list[str]] | None = None

    # -- reading -----------------------------------------------------------------

    def _read(self, path: Path, display: str, where: tuple[SourceFile, tuple] | None):
        try:
            text = self.edited.get(path.resolve()) if self.edited else None
            if text is None:
                size = path.stat().st_size
                if size > MAX_FILE_BYTES:  # refused before any of it is read
                    raise OSError(0, too_large(size))
                text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if where:
                self.problems.append(where[0].problem(where[1], f"cannot read {display}: {reason}"))
            else:
                self.problems.append(SpecProblem(display, 1, 1, "", f"cannot read file: {reason}"))
            return None
        source = parse_openapi_fast(text, display) if where is None else None
        problems: list[SpecProblem] = []
        if source is None:
            source, problems = parse_source(text, display)
        self.problems.extend(problems)
        if source is not None:
            source.location = path.resolve()
            self.files.add(str(source.location))
            self.sources.append(source)
        return source

    def _check_format(self, source: SourceFile, part: str | None) -> bool:
        errors = list(format_validator(part).iter_errors(source.data))
        for error in errors:
            self.problems.extend(problems_from(error, source))
        return not errors

    def resolve_file(self, name: str, source: SourceFile, at: tuple) -> Path | None:
        """A file named in a spec: relative to the naming file, never outside the spec's folder."""
        base = source.location.parent if source.location else self.root_dir
        target = (base / name).resolve()
        if not target.is_relative_to(self.root_dir):
            self.problems.append(source.problem(at, f"{name!r} is outside the spec's folder"))
            return None
        if target.is_dir():
            self.problems.append(source.problem(at, f"{name!r} is a folder, not a file"))
            return None
        if not target.is_file():
            self.problems.append(source.problem(at, f"file {name!r} not found"))
            return None
        self.files.add(str(target))
        return target

    def _collect(self, source: SourceFile, collected: _Collected, stack: tuple[Path, ...]) -> None:
        data = source.data if isinstance(source.data, dict) else {}
        for name, schema in mapping(data.get("schemas")).items():
            if name in collected.schemas:
                self.problems.append(
                    source.problem(("schemas", name), f"schema {name!r} is defined twice", key=True)
                )
            collected.schemas[name] = Item(source, ("schemas", name), schema)
        for index, route in enumerate(sequence(data.get("routes"))):
            collected.routes.append(Item(source, ("routes", index), route))
        for name, resource in mapping(data.get("resources")).items():
            if name in collected.resources:
                self.problems.append(
                    source.problem(
                        ("resources", name), f"resource {name!r} is defined twice", key=True
                    )
                )
            collected.resources[name] = Item(source, ("resources", name), resource)
        for index, name in enumerate(sequence(data.get("include"))):
            if not isinstance(name, str):
                continue
            at = ("include", index)
            target = self.resolve_file(name, source, at)
            if target is None:
                continue
            if target in stack:
                chain = " -> ".join(p.name for p in stack + (target,))
                self.problems.append(source.problem(at, f"include cycle: {chain}"))
                continue
            display = (
                os.path.relpath(target, Path.cwd())
                if not Path(self.display).is_absolute()
                else str(target)
            )
            included = self._read(target, display, (source, at))
            if included is None:
                continue
            if isinstance(included.data, dict) and "mockserve" in included.data:
                self.problems.append(
                    included.problem(
                        ("mockserve",),
                        "an included file must not have a 'mockserve:' key",
                        key=True,
                    )
                )
                included.data = {k: v for k, v in included.data.items() if k != "mockserve"}
            if included.data is None:
                continue
            # Both stages always run: an included file with format errors is still
            # collected, so its own includes and semantic problems are reported too.
            self._check_format(included, "included_file")
            self._collect(included, collected, stack + (target,))

    # -- building ----------------------------------------------------------------

    def read_main(self) -> SourceFile | None:
        """Parse the main file (an OpenAPI document quickly, without marks)."""
        return self._read(self.path, self.display, None)

    def build(self, source: SourceFile) -> Spec:
        """Check and compile a parsed main file (also used for converted OpenAPI documents)."""
        if source.data is None:
            self.problems.append(SpecProblem(source.name, 1, 1, "", "the file is empty"))
            raise SpecError(self.problems)
        if not self.generated:
            self._check_format(source, None)
        data = source.data if isinstance(source.data, dict) else {}
        try:
            collected = _Collected()
            self._collect(source, collected, (self.path.resolve(),))
            settings = self._settings(source, mapping(data.get("settings")))
            compiler = self._schema_compiler(collected)
            build = Build(self, compiler, settings)
            builder = RouteBuilder(build)
            lazy = self.lazy and self.generated
            routes = [builder.route(item, lazy=lazy) for item in collected.routes]
            resources = [
                compile_resource(build, name, item) for name, item in collected.resources.items()
            ]
            graphql = _graphql(build, source, data)
            answers = Answers(build)
            errors = answers.errors(source, mapping(data.get("errors")))
            webhooks = {
                str(name): answers.callback(source, ("webhooks", name), item, str(name))
                for name, item in mapping(data.get("webhooks")).items()
            }
            websockets = SocketBuilder(build).websockets(source, data.get("websockets"))
        except (TypeError, AttributeError, KeyError, ValueError):
            # Data of the wrong shape that the semantic checks tripped over: the format
            # check has reported it, so report that rather than a traceback.
            if self.problems:
                raise SpecError(self.problems) from None
            raise
        if self.problems:
            raise SpecError(self.problems)
        return Spec(
            source=self.display,
            title=str(data.get("title") or self.path.name),
            settings=settings,
            routes=tuple(r for r in routes if r is not None),
            resources=tuple(r for r in resources if r is not None),
            errors=errors,
            warnings=self._sorted_warnings(),
            files=tuple(sorted(self.files)),
            webhooks={name: hook for name, hook in webhooks.items() if hook is not None},
            schemas={name: item.data for name, item in collected.schemas.items()},
            websockets=websockets,
            graphql=graphql,
        )

    def _sorted_warnings(self) -> tuple[SpecWarning, ...]:
        return tuple(sorted(self.warnings, key=_where))

    def _settings(self, source: SourceFile, raw: dict[str, Any]) -> Settings:
        if not isinstance(raw, dict):
            return Settings()
        cors = raw.get("cors", False)
        cors_setting = None
        if cors is True:
            cors_setting = Cors(None)
        elif isinstance(cors, dict):
            origins = cors.get("origins")
            cors_setting = Cors(tuple(origins) if origins else None, bool(cors.get("credentials")))
        admin = raw.get("admin", DEFAULT_ADMIN)
        seed = self.seed if self.seed is not None else raw.get("seed")
        journal = raw.get("journal", 1000)
        max_body = raw.get("max_body", DEFAULT_MAX_BODY)
        return Settings(
            tls=self._tls(source, raw.get("tls")),
            cors=cors_setting,
            delay=self.delay(source, ("settings", "delay"), raw.get("delay")),
            seed=seed if isinstance(seed, int) else None,
            journal=journal if isinstance(journal, int) else 1000,
            admin=admin.rstrip("/") if isinstance(admin, str) else None,
            max_body=max_body if isinstance(max_body, int) else DEFAULT_MAX_BODY,
            store=_text_or_none(raw.get("store")),
            namespace=_text_or_none(raw.get("namespace")),
            proxy=self._proxy(source, raw.get("proxy")),
        )

    def _proxy(self, source: SourceFile, raw: Any) -> Proxy | None:
        """`settings.proxy`, already checked against the format's schema; its `ca` found."""
        if not isinstance(raw, dict):
            return None
        timeout = raw.get("timeout")
        ca = None
        if isinstance(raw.get("ca"), str):
            found = self.resolve_file(raw["ca"], source, ("settings", "proxy", "ca"))
            ca = str(found) if found else None
        return Proxy(
            to=raw["to"] if isinstance(raw.get("to"), str) else None,
            when="always" if raw.get("when") == "always" else "unmatched",
            strip_prefix=str(raw.get("strip_prefix") or "").rstrip("/"),
            headers=tuple((str(k), header_text(v)) for k, v in mapping(raw.get("headers")).items()),
            remove_headers=tuple(str(h) for h in sequence(raw.get("remove_headers"))),
            timeout=float(timeout)
            if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0
            else Proxy.timeout,
            ca=ca,
        )

    def _tls(self, source: SourceFile, raw: Any) -> TlsFiles | None:
        """`settings.tls`: both files found, inside the spec's folder (as `file:`)."""
        names = raw if isinstance(raw, dict) else {}
        if not all(isinstance(names.get(k), str) for k in ("cert", "key")):
            return None
        cert = self.resolve_file(raw["cert"], source, ("settings", "tls", "cert"))
        key = self.resolve_file(raw["key"], source, ("settings", "tls", "key"))
        return TlsFiles(str(cert), str(key)) if cert and key else None

    def delay(self, source: SourceFile, at: tuple, raw: Any) -> Delay | None:
        if isinstance(raw, bool) or raw is None:
            return None
        if isinstance(raw, (int, float)):
            return Delay(float(raw), float(raw))  # 0 too: it replaces settings.delay
        if isinstance(raw, dict):
            low, high = raw.get("min"), raw.get("max")
            if isinstance(low, (int, float)) and isinstance(high, (int, float)):
                if low > high:
                    self.problems.append(
                        source.problem(at, f"min ({low}) is greater than max ({high})")
                    )
                    return None
                return Delay(float(low), float(high))
        return None

    def warn_implicit_bools(self, source: SourceFile, under: tuple) -> None:
        """Warn at each unquoted yes/no/on/off under `under`: YAML 1.1 reads it as a boolean.

        Meant for values sent as text or JSON (a header, a `json` leaf), where `country: NO`
        silently becomes `false`; `true` and `false` written as such are never warned about.
        """
        for path, text in source.implicit_bools.items():
            if path[: len(under)] != under:
                continue
            value = "true" if text.lower() in ("yes", "on") else "false"
            message = (
                f'unquoted {text!r} is read as {value}; write "{text}" for the text '
                f"or {value} for the boolean"
            )
            line, column = source.locate(path)
            self.warnings.add(SpecWarning(source.name, line, column, format_path(path), message))

    def _schema_compiler(self, collected: _Collected) -> SchemaCompiler:
        compiler = SchemaCompiler({name: item.data for name, item in collected.schemas.items()})
        for name, item in collected.schemas.items():
            self.check_schema(compiler, item.source, item.path, item.data, name=name)
        return compiler

    def check_schema(
        self,
        compiler: SchemaCompiler,
        source: SourceFile,
        at: tuple,
        schema: Any,
        problems: list[SpecProblem] | None = None,
        *,
        name: str | None = None,
    ) -> bool:
        try:
            compiler.check(schema, meta=not self.generated, name=name)
        except SchemaProblem as exc:
            problems = self.problems if problems is None else problems
            problems.append(source.problem(at + exc.path, str(exc)))
            return False
        return True


def _graphql(build: Build, source: SourceFile, data: dict[str, Any]) -> tuple:
    """The spec's GraphQL endpoints; graphql-core is imported only for a spec that has them."""
    if "graphql" not in data:
        return ()
    from .graphql import compile_graphql  # noqa: PLC0415 - graphql-core takes 0.3 s to import

    return compile_graphql(build, source, data["graphql"])


def too_large(size: int) -> str:
    """Why a file is not read: its size against the limit."""
    over = size - MAX_FILE_BYTES
    if over < 2**20:
        shown = f"{MAX_FILE_BYTES / 2**20:.1f} MB and {over} byte{'s' if over != 1 else ''}"
    else:
        shown = f"{size / 2**20:.1f} MB" if size < 2**30 else f"{size / 2**30:.1f} GB"
    return (
        f"it is {shown}; mockserve reads files of up to {MAX_FILE_BYTES // 2**20} MB "
        "(split the document, or keep the part you mock)"
    )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Cyclic garbage collection off while a spec is built, back on after.

    Building a large spec allocates a graph of objects that all stay alive; the
    collector would walk it again and again for nothing (a second or more of GitHub's
    import, on a busy machine). Other threads only see collections delayed.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
