"""Load a spec: parse, check against the format's schema, check the rest, compile.

Both checking stages always run, so a user sees every problem at once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ..contract import BodyContract, ParameterContract, media_type
from ..errors import SpecError, SpecProblem, SpecWarning
from ..templating import (
    HTML_ENV,
    Expression,
    TemplateSyntaxProblem,
    compile_expression,
    compile_text,
    compile_value,
)
from ..values import header_key
from .format import format_validator, problems_from
from .model import (
    DEFAULT_MAX_BODY,
    Body,
    Callback,
    Contract,
    Cors,
    Delay,
    Example,
    Fault,
    Proxy,
    Resource,
    ResponseTemplate,
    Route,
    RouteParts,
    Settings,
    Spec,
    TlsFiles,
)
from .rules import route_signature, rule_for
from .schemas import SchemaCompiler, SchemaProblem
from .source import SourceFile, format_path, parse_openapi_fast, parse_source

log = logging.getLogger("mockserve")

DEFAULT_ADMIN = "/__mockserve"
BODY_KINDS = ("json", "text", "html", "body", "file", "redirect")
_CONTENT_TYPES = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "body": "application/octet-stream",
}


# Python's own table, not the machine's /etc/mime.types: a file's type is the same everywhere.
_MIME_TYPES = mimetypes.MimeTypes()
for _type, _extensions in {
    "application/json": (".json", ".map"),
    "application/yaml": (".yaml", ".yml"),
    "application/xml": (".xml",),
    "text/javascript": (".js", ".mjs"),
    "text/markdown": (".md",),
    "image/webp": (".webp",),
    "font/woff2": (".woff2",),
}.items():
    for _extension in _extensions:
        _MIME_TYPES.add_type(_type, _extension)


def file_content_type(name: str) -> str:
    """The Content-Type of a `file:` response, from its extension (text gets charset=utf-8)."""
    guessed, encoding = _MIME_TYPES.guess_type(name)
    if guessed is None or encoding is not None:  # unknown, or compressed (e.g. .json.gz)
        return "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def _where(warning: SpecWarning) -> tuple[str, int, int]:
    return warning.file, warning.line, warning.column


@dataclass
class _Item:
    """A route or resource from some file, with where it was written."""

    source: SourceFile
    path: tuple[Any, ...]
    data: Any


@dataclass
class _Collected:
    schemas: dict[str, _Item] = field(default_factory=dict)
    routes: list[_Item] = field(default_factory=list)
    resources: dict[str, _Item] = field(default_factory=dict)


class Loader:
    """Reads one spec (and its includes) and builds the frozen `Spec`."""

    def __init__(
        self, path: str | os.PathLike[str], *, seed: int | None = None, lazy: bool = False
    ):
        self.path = Path(path)
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
        for name, schema in _mapping(data.get("schemas")).items():
            if name in collected.schemas:
                self.problems.append(
                    source.problem(("schemas", name), f"schema {name!r} is defined twice", key=True)
                )
            collected.schemas[name] = _Item(source, ("schemas", name), schema)
        for index, route in enumerate(_sequence(data.get("routes"))):
            collected.routes.append(_Item(source, ("routes", index), route))
        for name, resource in _mapping(data.get("resources")).items():
            if name in collected.resources:
                self.problems.append(
                    source.problem(
                        ("resources", name), f"resource {name!r} is defined twice", key=True
                    )
                )
            collected.resources[name] = _Item(source, ("resources", name), resource)
        for index, name in enumerate(_sequence(data.get("include"))):
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

    def load(self) -> Spec:
        source = self.read_main()
        if source is None:
            raise SpecError(self.problems)
        if (
            isinstance(source.data, dict)
            and "openapi" in source.data
            and "mockserve" not in source.data
        ):
            from ..openapi import spec_from_openapi  # noqa: PLC0415 - only for OpenAPI documents

            return spec_from_openapi(source, self)
        return self.build(source)

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
            settings = self._settings(source, _mapping(data.get("settings")))
            compiler = self._schema_compiler(collected)
            builder = _RouteBuilder(self, compiler, settings)
            lazy = self.lazy and self.generated
            routes = [builder.route(item, lazy=lazy) for item in collected.routes]
            resources = [builder.resource(name, item) for name, item in collected.resources.items()]
            errors = builder.errors(source, _mapping(data.get("errors")))
            webhooks = {
                str(name): builder.callback(source, ("webhooks", name), item, str(name))
                for name, item in _mapping(data.get("webhooks")).items()
            }
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
            proxy=_proxy(raw.get("proxy")),
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


def _declared_types(schema: Any) -> list[str]:
    declared = schema.get("type") if isinstance(schema, dict) else None
    return [declared] if isinstance(declared, str) else list(declared or [])


def _field_types(
    schema: Any, resolve=lambda s: s
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Which top-level properties arrive as text but are typed: scalars to convert, arrays.

    `resolve` follows a property's `$ref` into `schemas` (`{$ref: "#/schemas/Id"}`).
    """
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    types: dict[str, tuple[str, ...]] = {}
    arrays = set()
    for name, sub in properties.items() if isinstance(properties, dict) else ():
        sub = resolve(sub)
        declared = _declared_types(sub)
        if "array" in declared and isinstance(sub, dict):
            arrays.add(name)
            declared = _declared_types(resolve(sub.get("items")))
        wanted = tuple(t for t in ("integer", "number", "boolean") if t in declared)
        if wanted:
            types[name] = wanted
    return types, frozenset(arrays)


class _RouteBuilder:
    """Compiles routes, resources and error overrides; records problems on the loader."""

    def __init__(
        self,
        loader: Loader,
        compiler: SchemaCompiler,
        settings: Settings,
        problems: list[SpecProblem] | None = None,
    ):
        self.loader = loader
        self.compiler = compiler
        self.settings = settings
        # (method, path signature) -> who claimed it first, and where: "FILE:LINE[ by ...]"
        self.seen: dict[tuple[str, str], tuple[str, str]] = {}
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

    # -- routes --------------------------------------------------------------------

    def route(self, item: _Item, *, lazy: bool = False) -> Route | None:
        """The route; with `lazy`, only its name, methods and path are checked now."""
        raw, source, at = item.data, item.source, item.path
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            return None
        count = len(self.problems)
        path = raw["path"]
        methods_raw = raw.get("method", "GET")
        methods = tuple(
            m.upper()
            for m in (methods_raw if isinstance(methods_raw, list) else [methods_raw])
            if isinstance(m, str)
        )
        name = raw.get("name") or f"{','.join(methods)} {path}"
        rule, param_names, path_problems = rule_for(path, written=not self.loader.generated)
        for message in path_problems:
            self.problem(source, at + ("path",), message)
        self.claim(source, at, name, methods, path, explicit="name" in raw)
        order = raw.get("order", "first-match")
        keeps_state = any(
            isinstance(response, dict) and bool(_mapping(response.get("state")))
            for response in [raw.get("response"), *_sequence(raw.get("responses"))]
        )
        examples = self.examples(source, at, raw, rule, methods)
        head = {
            "name": name,
            "methods": methods,
            "path": path,
            "rule": rule,
            "order": order,
            "where": format_path(at),
            "keeps_state": keeps_state,
            "examples": examples,
        }
        if lazy:
            if len(self.problems) != count:
                return None
            return Route(
                **head, parts=partial(self._compile_later, item, methods, param_names, name)
            )
        parts = self.parts(item, methods, param_names, name)
        if len(self.problems) != count:
            return None
        return Route(**head, parts=parts)

    def _compile_later(
        self, item: _Item, methods: tuple[str, ...], param_names: tuple[str, ...], name: str
    ) -> RouteParts:
        """A lazy route's parts, on its first request; a route that fails answers 500 saying why.

        Only converted OpenAPI documents are served lazily: the converter writes valid
        routes, and `validate` and `import` compile every route at load and report all.
        """
        builder = _RouteBuilder(self.loader, self.compiler, self.settings, problems=[])
        try:
            if self.loader.complete_route is not None:
                for warning in self.loader.complete_route(item.data):
                    log.warning("%s", warning)
            parts = builder.parts(item, methods, param_names, name)
        except Exception as exc:  # noqa: BLE001 - one route must not stop the others
            log.exception("route %r cannot be served", name)
            builder.problem(item.source, item.path, f"{type(exc).__name__}: {exc}")
        if not builder.problems:
            return parts
        for problem in builder.problems:
            log.error("route %r cannot be served: %s", name, problem)
        message = f"route {name!r} cannot be served: {builder.problems[0].message}"
        errors = [{"message": str(problem)} for problem in builder.problems]
        body = _dump_json({"error": message, "route": name, "errors": errors})
        answer = ResponseTemplate(
            status=500,
            body=Body("json", _CONTENT_TYPES["json"], static=body),
            where=format_path(item.path),
        )
        return RouteParts(contract=Contract(), responses=(answer,))

    def parts(
        self, item: _Item, methods: tuple[str, ...], param_names: tuple[str, ...], name: str
    ) -> RouteParts:
        """Compile a route's contract, answers, faults, errors and callbacks, recording every
        problem."""
        raw, source, at = item.data, item.source, item.path
        contract = self.contract(source, at, raw, param_names)
        if "response" in raw and "responses" in raw:
            self.problem(
                source,
                at + ("responses",),
                "a route has 'response' or 'responses', not both",
                key=True,
            )
        single = [raw["response"]] if "response" in raw else []
        raw_responses = _sequence(raw.get("responses")) or single
        order = raw.get("order", "first-match")
        responses = []
        for index, response in enumerate(raw_responses):
            where = at + (("responses", index) if "responses" in raw else ("response",))
            compiled = self.response(source, where, response, allow_when=order == "first-match")
            if compiled is not None:
                responses.append(compiled)
            last = index == len(raw_responses) - 1
            if (
                order == "first-match"
                and isinstance(response, dict)
                and "when" not in response
                and not last
            ):
                self.problem(
                    source,
                    where,
                    "only the last response may omit 'when' (later ones could never answer)",
                )
        if not raw_responses:
            responses.append(
                ResponseTemplate(
                    status=204 if "DELETE" in methods else 200, body=Body("none", None, static=b"")
                )
            )
        if order != "random":
            for index, response in enumerate(raw_responses):
                if isinstance(response, dict) and "weight" in response:
                    self.problem(
                        source,
                        at + ("responses", index, "weight"),
                        "'weight' is used only with order: random",
                        key=True,
                    )
        faults = self.faults(source, at, _sequence(raw.get("faults")))
        errors = self.route_errors(source, at + ("errors",), raw.get("errors"))
        callbacks = [
            self.callback(source, at + ("callbacks", index), item, f"{name} callback {index + 1}")
            for index, item in enumerate(_sequence(raw.get("callbacks")))
        ]
        return RouteParts(
            contract=contract,
            responses=tuple(responses),
            faults=faults,
            errors=errors,
            callbacks=tuple(c for c in callbacks if c is not None),
        )

    def examples(
        self, source: SourceFile, at: tuple, raw: dict, rule: str, methods: tuple[str, ...]
    ) -> tuple[Example, ...]:
        """A route's `examples`; each request's path must be one the route answers."""
        examples = []
        names: set[str] = set()
        matcher = None
        for index, item in enumerate(_sequence(raw.get("examples"))):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            where = at + ("examples", index)
            name = item["name"]
            if name in names:
                self.problem(source, where + ("name",), f"example name {name!r} is used twice")
            names.add(name)
            request = _mapping(item.get("request"))
            path = request.get("path", raw["path"])
            if not isinstance(path, str):
                continue
            if matcher is None:
                from werkzeug.routing import Map, Rule  # noqa: PLC0415 - only for examples

                matcher = Map([Rule(rule, endpoint="route", methods=list(methods))]).bind("x")
            try:
                matcher.match(path, method=methods[0] if methods else "GET")
            except Exception:  # NotFound, a redirect, or a path with `{...}` left in it
                self.problem(
                    source,
                    where + ("request", "path"),
                    f"{path!r} is not a path this route answers ({raw['path']})",
                )
                continue
            examples.append(
                Example(
                    name=name,
                    path=path,
                    query={str(k): v for k, v in _mapping(request.get("query")).items()},
                    headers={
                        str(k): _header_text(v) for k, v in _mapping(request.get("headers")).items()
                    },
                    body=request.get("body"),
                    has_body="body" in request,
                )
            )
        return tuple(examples)

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
                first_path, first = self.seen[key]
                shown = f" as {first_path}" if first_path != path else ""
                self.problem(
                    source,
                    at + ("path",),
                    f"duplicate route {method} {path}; first defined at {first}{shown}",
                )
            else:
                self.seen[key] = (path, self._where(source, at, name, explicit=explicit))
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

    def contract(
        self, source: SourceFile, at: tuple, raw: dict, param_names: tuple[str, ...]
    ) -> Contract:
        query = self.parameters(source, at + ("query",), raw.get("query"), "query")
        headers = self.parameters(
            source, at + ("headers",), raw.get("headers"), "headers", case_insensitive=True
        )
        path_params = self.parameters(source, at + ("path_params",), raw.get("path_params"), "path")
        raw_body = raw.get("body")
        # `body` is one {content_type, schema}, or a list of them (one per accepted media type)
        options = (
            raw_body
            if isinstance(raw_body, list)
            else [raw_body]
            if isinstance(raw_body, dict)
            else []
        )
        bodies = []
        for index, option in enumerate(options):
            if not isinstance(option, dict):
                continue
            where = at + (("body", index) if isinstance(raw_body, list) else ("body",))
            validator = None
            types: dict[str, tuple[str, ...]] = {}
            arrays: frozenset[str] = frozenset()
            if "schema" in option and self.check_schema(
                source, where + ("schema",), option["schema"]
            ):
                validator = self.compiler.compile(option["schema"])
                types, arrays = _field_types(
                    self.compiler.resolve_top(option["schema"]), self.compiler.resolve_top
                )
            content_type = media_type(str(option.get("content_type", "application/json")))
            bodies.append(
                BodyContract(
                    content_type, validator, types, arrays, bool(option.get("required", True))
                )
            )
        body = None
        if bodies:
            body = dataclasses.replace(bodies[0], alternatives=tuple(bodies[1:]))
        return Contract(query=query, headers=headers, path=path_params, body=body)

    def parameters(
        self,
        source: SourceFile,
        at: tuple,
        schema: Any,
        location: str,
        *,
        case_insensitive: bool = False,
    ) -> ParameterContract | None:
        if schema is None:
            return None
        if not self.check_schema(source, at, schema):
            return None
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        types, arrays = _field_types(schema, self.compiler.resolve_top)
        spelling = {}
        if case_insensitive and isinstance(schema, dict):
            required = schema.get("required", []) or []
            # The properties' spelling wins, so `required: [x-count]` still checks `X-Count`.
            names = list(required) + list(properties)
            spelling = {header_key(str(n)): str(n) for n in names}
            schema = dict(schema)
            if isinstance(required, list):
                schema["required"] = [spelling.get(header_key(str(n)), n) for n in required]
        return ParameterContract(location, self.compiler.compile(schema), types, spelling, arrays)

    # -- responses -------------------------------------------------------------

    def compile_template(self, source: SourceFile, at: tuple, compile_fn, *args):
        try:
            return compile_fn(*args)
        except TemplateSyntaxProblem as exc:
            self.problem(source, at, str(exc))
            return None

    def _value(self, source: SourceFile, at: tuple, value: Any):
        """Compile a JSON value, reporting each bad leaf where it stands."""
        if isinstance(value, dict):
            for key, item in value.items():
                self._value(source, at + (key,), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._value(source, at + (index,), item)
        elif isinstance(value, str):
            self.compile_template(source, at, compile_value, value)

    def value(self, source: SourceFile, at: tuple, value: Any):
        try:
            return compile_value(value)
        except TemplateSyntaxProblem:
            self._value(source, at, value)  # walk again only to locate each bad leaf
            return None

    def when(
        self, source: SourceFile, at: tuple, raw: dict[str, Any], allow_when: bool
    ) -> Expression | None:
        """A response's compiled `when`, or None (with a problem when it cannot be one)."""
        if not isinstance(raw.get("when"), str):
            return None
        if not allow_when:
            message = "'when' is allowed only with order: first-match"
            self.problem(source, at + ("when",), message, key=True)
            return None
        condition = raw["when"].strip()
        if condition.startswith("{{") and condition.endswith("}}"):
            bare = condition[2:-2].strip()
            message = f"'when' is an expression without braces: write {bare!r}"
            self.problem(source, at + ("when",), message)
            return None
        compiled: Expression | None = self.compile_template(
            source, at + ("when",), compile_expression, raw["when"]
        )
        return compiled

    def response(
        self, source: SourceFile, at: tuple, raw: Any, *, allow_when: bool
    ) -> ResponseTemplate | None:
        if not isinstance(raw, dict):
            return None
        if raw.get("proxy") is True:
            return self.proxied(source, at, raw, allow_when=allow_when)
        kinds = [kind for kind in BODY_KINDS if kind in raw]
        if len(kinds) > 1:
            self.problem(
                source,
                at + (kinds[1],),
                f"a response has one body; found {', '.join(kinds)}",
                key=True,
            )
        kind = kinds[0] if kinds else None
        headers = []
        for name, value in _mapping(raw.get("headers")).items():
            text = (
                value
                if isinstance(value, str)
                else json.dumps(value)
                if isinstance(value, bool)
                else str(value)
            )
            if "{{" not in text and "{%" not in text and not _sendable_header(text):
                self.problem(
                    source,
                    at + ("headers", name),
                    f"{text!r} cannot be sent as a header (use Latin-1 text on one line)",
                )
                continue
            compiled = self.compile_template(source, at + ("headers", name), compile_text, text)
            if compiled is not None:
                headers.append((str(name), compiled))
        header_names = {name.lower() for name, _ in headers}
        for part in ("headers", "json", "state"):
            self.loader.warn_implicit_bools(source, at + (part,))
        body = self.body(source, at, kind, raw, header_names)
        redirect = None
        status = raw.get("status")
        status_value = None
        if isinstance(status, str):  # a template, e.g. "{{ prefer('code') | int }}"
            status_value = self.compile_template(source, at + ("status",), compile_value, status)
            status = None
        if kind == "redirect" and isinstance(raw["redirect"], str):
            redirect = self.compile_template(
                source, at + ("redirect",), compile_text, raw["redirect"]
            )
            status = status or 302
        when = self.when(source, at, raw, allow_when)
        state = []
        for name, value in _mapping(raw.get("state")).items():
            compiled = self.value(source, at + ("state", name), value)
            if compiled is not None:
                state.append((str(name), compiled))
        if body is None:
            return None
        return ResponseTemplate(
            status=status if isinstance(status, int) else 200,
            status_value=status_value,
            body=body,
            headers=tuple(headers),
            redirect=redirect,
            delay=self.loader.delay(source, at + ("delay",), raw.get("delay")),
            state=tuple(state),
            when=when,
            weight=float(raw.get("weight", 1)),
            where=format_path(at),
            schema=self.response_schema(source, at, raw),
            verify=str(raw.get("verify", "shape")),
        )

    def response_schema(self, source: SourceFile, at: tuple, raw: dict) -> Any:
        """`response.schema`, checked as a JSON Schema; kept as written for `verify`."""
        if "schema" not in raw:
            return None
        if not self.check_schema(source, at + ("schema",), raw["schema"]):
            return None
        return raw["schema"]

    def proxied(
        self, source: SourceFile, at: tuple, raw: dict, *, allow_when: bool
    ) -> ResponseTemplate | None:
        """`response: {proxy: true}`: the upstream's status, headers and body, forwarded."""
        for key in raw:
            if key not in ("proxy", "when", "weight", "delay"):
                self.problem(
                    source,
                    at + (key,),
                    f"a proxied response takes its status, headers and body from the "
                    f"upstream; remove {key!r}",
                    key=True,
                )
        when = self.when(source, at, raw, allow_when)
        return ResponseTemplate(
            status=200,
            body=Body("none", None, static=b""),
            delay=self.loader.delay(source, at + ("delay",), raw.get("delay")),
            when=when,
            weight=float(raw.get("weight", 1)),
            where=format_path(at),
            proxy=True,
        )

    def body(
        self, source: SourceFile, at: tuple, kind: str | None, raw: dict, header_names: set[str]
    ) -> Body | None:
        if kind is None or kind == "redirect":
            return Body("none", None, static=b"")
        content_type = _CONTENT_TYPES.get(kind)
        if kind == "file":
            target = self.loader.resolve_file(str(raw["file"]), source, at + ("file",))
            if target is None:
                return None
            return Body("file", file_content_type(target.name), static=target.read_bytes())
        if kind == "json":
            template = self.value(source, at + ("json",), raw["json"])
            if template is None:
                return None
            if template.constant:
                try:
                    static = _dump_json(template.value)
                except (TypeError, ValueError) as exc:  # e.g. !!binary or !!set in YAML
                    self.problem(source, at + ("json",), f"not a JSON value: {exc}")
                    return None
                return Body("json", content_type, template, static=static)
            return Body("json", content_type, template)
        text = raw[kind]
        if not isinstance(text, str):
            return None
        env = HTML_ENV if kind == "html" else None
        template = self.compile_template(
            source, at + (kind,), compile_text, text, *([env] if env else [])
        )
        if template is None:
            return None
        if template.constant:
            return Body(kind, content_type, template, static=text.encode("utf-8"))
        return Body(kind, content_type, template)

    def faults(self, source: SourceFile, at: tuple, raw: list) -> tuple[Fault, ...]:
        faults = []
        total = 0.0
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                continue
            where = at + ("faults", index)
            total += float(item.get("rate", 0))
            kind = item.get("kind")
            has_body = any(k in item for k in BODY_KINDS) or "status" in item
            if kind and has_body:
                self.problem(
                    source,
                    where + ("kind",),
                    f"a '{kind}' fault sends no response of its own; remove status and body",
                    key=True,
                )
            response = None
            if not kind:
                fields = {k: v for k, v in item.items() if k not in ("rate", "kind")}
                fields.setdefault("status", 500)
                response = self.response(source, where, fields, allow_when=False)
            faults.append(Fault(float(item.get("rate", 0)), kind, response))
        if total > 1.000001:
            self.problem(source, at + ("faults",), f"fault rates add up to {total:g}, more than 1")
        return tuple(faults)

    def callback(self, source: SourceFile, at: tuple, raw: Any, name: str) -> Callback | None:
        """A route's callback, or a webhook (no `url`: the admin request gives it)."""
        if not isinstance(raw, dict):
            return None
        count = len(self.problems)
        url = None
        if isinstance(raw.get("url"), str):
            url = self.compile_template(source, at + ("url",), compile_text, raw["url"])
        when = None
        if isinstance(raw.get("when"), str):
            when = self.compile_template(source, at + ("when",), compile_expression, raw["when"])
        body = None
        if "json" in raw and "text" in raw:
            self.problem(source, at + ("text",), "a callback has one body: json or text", key=True)
        elif "json" in raw:
            template = self.value(source, at + ("json",), raw["json"])
            body = Body("json", _CONTENT_TYPES["json"], template) if template is not None else None
        elif isinstance(raw.get("text"), str):
            template = self.compile_template(source, at + ("text",), compile_text, raw["text"])
            body = Body("text", _CONTENT_TYPES["text"], template) if template is not None else None
        headers = []
        for header, value in _mapping(raw.get("headers")).items():
            text = value if isinstance(value, str) else json.dumps(value)
            compiled = self.compile_template(source, at + ("headers", header), compile_text, text)
            if compiled is not None:
                headers.append((str(header), compiled))
        retry = _mapping(raw.get("retry"))
        if len(self.problems) != count:
            return None
        return Callback(
            name=str(raw.get("name") or name),
            url=url,
            method=str(raw.get("method", "POST")).upper(),
            when=when,
            body=body,
            headers=tuple(headers),
            delay=self.loader.delay(source, at + ("delay",), raw.get("delay")),
            attempts=int(retry.get("attempts", 1)),
            backoff=float(retry.get("backoff", 0)),
            timeout=float(raw.get("timeout", 10000)),
            where=format_path(at),
        )

    # -- resources and errors --------------------------------------------------

    def resource(self, name: str, item: _Item) -> Resource | None:
        raw, source, at = item.data, item.source, item.path
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            return None
        path = raw["path"]
        key = raw.get("key", "id")
        validator = None
        if "schema" in raw and self.check_schema(source, at + ("schema",), raw["schema"]):
            validator = self.compiler.compile(raw["schema"])
        for method, route_path in (
            ("GET", path),
            ("POST", path),
            ("GET", path + "/{" + key + "}"),
            ("PUT", path + "/{" + key + "}"),
            ("PATCH", path + "/{" + key + "}"),
            ("DELETE", path + "/{" + key + "}"),
        ):
            self.claim(source, at, f"{method} {route_path}", (method,), route_path, explicit=False)
        data = raw.get("data") or []
        data_at = at + ("data",)
        self.loader.warn_implicit_bools(source, data_at)
        if isinstance(data, dict) and "file" in data:
            target = self.loader.resolve_file(str(data["file"]), source, data_at + ("file",))
            data = []
            if target is not None:
                data = self._data_file(source, data_at + ("file",), target)
        items = []
        seen_keys = set()
        for index, entry in enumerate(data if isinstance(data, list) else []):
            if not isinstance(entry, dict):
                self.problem(source, data_at + (index,), "a resource item must be an object")
                continue
            if key not in entry:
                self.problem(source, data_at + (index,), f"item has no key field {key!r}")
            elif str(entry[key]) in seen_keys:
                self.problem(source, data_at + (index, key), f"duplicate key {entry[key]!r}")
            else:
                seen_keys.add(str(entry[key]))
            if validator is not None:
                for error in validator.iter_errors(entry):
                    self.problem(
                        source,
                        data_at + (index,) + tuple(error.absolute_path),
                        f"item breaks the resource schema: {error.message}",
                    )
            items.append(entry)
        return Resource(name=name, path=path, key=key, validator=validator, data=tuple(items))

    def _data_file(self, source: SourceFile, at: tuple, target: Path) -> list:
        try:
            text = target.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(source, at, f"cannot read {target.name}: {exc}")
            return []
        parsed, problems = parse_source(text, str(target.relative_to(self.loader.root_dir)))
        self.loader.problems.extend(problems)
        data = parsed.data if parsed is not None else None
        if parsed is not None:
            self.loader.warn_implicit_bools(parsed, ())
        if not isinstance(data, list):
            self.problem(source, at, f"{target.name} must hold a JSON or YAML list of items")
            return []
        return data

    def route_errors(
        self, source: SourceFile, at: tuple, raw: Any
    ) -> dict[int, tuple[ResponseTemplate, ...]]:
        """A route's `errors`: each status's answers, first-match; the status defaults to it."""
        result = {}
        for status, entry in _mapping(raw).items():
            if not str(status).isdigit():
                continue
            options = entry if isinstance(entry, list) else [entry]
            compiled = []
            for index, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                where = at + ((status, index) if isinstance(entry, list) else (status,))
                if "when" not in option and index != len(options) - 1:
                    self.problem(source, where, "only the last answer may omit 'when'")
                template = self.response(
                    source, where, {"status": int(status), **option}, allow_when=True
                )
                if template is not None:
                    compiled.append(template)
            if compiled:
                result[int(status)] = tuple(compiled)
        return result

    def errors(self, source: SourceFile, raw: dict) -> dict[int, ResponseTemplate]:
        result = {}
        for status, response in raw.items() if isinstance(raw, dict) else ():
            compiled = self.response(source, ("errors", status), response, allow_when=False)
            if compiled is not None and str(status).isdigit():
                result[int(status)] = compiled
        return result


def _proxy(raw: Any) -> Proxy | None:
    """`settings.proxy`, already checked against the format's schema."""
    if not isinstance(raw, dict):
        return None
    timeout = raw.get("timeout")
    return Proxy(
        to=raw["to"] if isinstance(raw.get("to"), str) else None,
        when="always" if raw.get("when") == "always" else "unmatched",
        strip_prefix=str(raw.get("strip_prefix") or "").rstrip("/"),
        headers=tuple((str(k), _header_text(v)) for k, v in _mapping(raw.get("headers")).items()),
        remove_headers=tuple(str(h) for h in _sequence(raw.get("remove_headers"))),
        timeout=float(timeout)
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0
        else Proxy.timeout,
    )


def _header_text(value: Any) -> str:
    """A header value as sent: YAML's `true` is `true`, not `True`."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _mapping(value: Any) -> dict[Any, Any]:
    """`value` if it is a mapping, else empty: the format check has already reported it."""
    return value if isinstance(value, dict) else {}


def _sequence(value: Any) -> list[Any]:
    """`value` if it is a list, else empty: the format check has already reported it."""
    return value if isinstance(value, list) else []


def _dump_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load_spec(path: str | os.PathLike[str], *, seed: int | None = None, lazy: bool = False) -> Spec:
    """Load, check and compile a spec file; raise SpecError listing every problem.

    `lazy` is for serving: an OpenAPI document's routes then compile on their first
    request. A spec in mockserve's format is always checked and compiled whole.
    """
    return Loader(path, seed=seed, lazy=lazy).load()


def _sendable_header(text: str) -> bool:
    """HTTP carries header values as Latin-1 on one line; anything else fails at send time."""
    if "\n" in text or "\r" in text:
        return False
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
