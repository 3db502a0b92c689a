"""A spec's routes, compiled: each one's head at load, its parts at load or on first call.

The head (name, methods, path as a Werkzeug rule, examples) is always checked at
load, so a duplicate or a bad path is reported at once. The parts (contract,
answers, faults, errors, callbacks) compile then too or, for a served OpenAPI
document, on the route's first request.
"""

from __future__ import annotations

import logging
from functools import partial

from ..errors import SpecProblem
from .answers import CONTENT_TYPES, Answers, dump_json, header_text
from .build import Build, Item, mapping, sequence
from .contracts import compile_contract
from .model import (
    Body,
    Contract,
    Example,
    ResponseTemplate,
    Route,
    RouteParts,
    route_methods,
    route_name,
)
from .rules import rule_for
from .source import SourceFile, format_path

log = logging.getLogger("mockserve")


class RouteBuilder:
    """Compiles routes; their contracts and answers are compiled by modules of their own."""

    def __init__(self, build: Build):
        self.build = build
        self.answers = Answers(build)

    def route(self, item: Item, *, lazy: bool = False) -> Route | None:
        """The route; with `lazy`, only its name, methods and path are checked now."""
        raw, source, at = item.data, item.source, item.path
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            return None
        count = len(self.build.problems)
        path = raw["path"]
        methods = route_methods(raw)
        name = route_name(raw)
        rule, param_names, path_problems = rule_for(path, written=not self.build.loader.generated)
        for message in path_problems:
            self.build.problem(source, at + ("path",), message)
        self.build.claim(source, at, name, methods, path, explicit="name" in raw)
        order = raw.get("order", "first-match")
        keeps_state = any(
            isinstance(response, dict) and bool(mapping(response.get("state")))
            for response in [raw.get("response"), *sequence(raw.get("responses"))]
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
            if len(self.build.problems) != count:
                return None
            return Route(
                **head, parts=partial(self._compile_later, item, methods, param_names, name)
            )
        parts = self.parts(item, methods, param_names, name)
        if len(self.build.problems) != count:
            return None
        return Route(**head, parts=parts)

    def _compile_later(
        self, item: Item, methods: tuple[str, ...], param_names: tuple[str, ...], name: str
    ) -> RouteParts:
        """A lazy route's parts, on its first request; a route that fails answers 500 saying why.

        Only converted OpenAPI documents are served lazily: the converter writes valid
        routes, and `validate` and `import` compile every route at load and report all.
        """
        problems: list[SpecProblem] = []  # the route's own: the load and its list are over
        build = Build(self.build.loader, self.build.compiler, self.build.settings, problems)
        builder = RouteBuilder(build)
        try:
            if self.build.loader.complete_route is not None:
                for warning in self.build.loader.complete_route(item.data):
                    log.warning("%s", warning)
                # Schemas the conversion added (request twins) are refs' targets now.
                self.build.compiler.learn(mapping(item.source.data.get("schemas")))
            parts = builder.parts(item, methods, param_names, name)
        except Exception as exc:  # noqa: BLE001 - one route must not stop the others
            log.exception("route %r cannot be served", name)
            build.problem(item.source, item.path, f"{type(exc).__name__}: {exc}")
        if not problems:
            return parts
        for problem in problems:
            log.error("route %r cannot be served: %s", name, problem)
        message = f"route {name!r} cannot be served: {problems[0].message}"
        errors = [{"message": str(problem)} for problem in problems]
        body = dump_json({"error": message, "route": name, "errors": errors})
        answer = ResponseTemplate(
            status=500,
            body=Body("json", CONTENT_TYPES["json"], static=body),
            where=format_path(item.path),
        )
        return RouteParts(contract=Contract(), responses=(answer,))

    def parts(
        self, item: Item, methods: tuple[str, ...], param_names: tuple[str, ...], name: str
    ) -> RouteParts:
        """Compile a route's contract, answers, faults, errors and callbacks, recording every
        problem."""
        raw, source, at = item.data, item.source, item.path
        contract = compile_contract(self.build, source, at, raw, param_names)
        if "response" in raw and "responses" in raw:
            self.build.problem(
                source,
                at + ("responses",),
                "a route has 'response' or 'responses', not both",
                key=True,
            )
        single = [raw["response"]] if "response" in raw else []
        raw_responses = sequence(raw.get("responses")) or single
        order = raw.get("order", "first-match")
        responses = []
        for index, response in enumerate(raw_responses):
            where = at + (("responses", index) if "responses" in raw else ("response",))
            compiled = self.answers.response(
                source, where, response, allow_when=order == "first-match"
            )
            if compiled is not None:
                responses.append(compiled)
            last = index == len(raw_responses) - 1
            if (
                order == "first-match"
                and isinstance(response, dict)
                and "when" not in response
                and not last
            ):
                self.build.problem(
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
                    self.build.problem(
                        source,
                        at + ("responses", index, "weight"),
                        "'weight' is used only with order: random",
                        key=True,
                    )
        faults = self.answers.faults(source, at, sequence(raw.get("faults")), tuple(responses))
        errors = self.answers.route_errors(source, at + ("errors",), raw.get("errors"))
        callbacks = [
            self.answers.callback(
                source, at + ("callbacks", index), item, f"{name} callback {index + 1}"
            )
            for index, item in enumerate(sequence(raw.get("callbacks")))
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
        for index, item in enumerate(sequence(raw.get("examples"))):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            where = at + ("examples", index)
            name = item["name"]
            if name in names:
                self.build.problem(
                    source, where + ("name",), f"example name {name!r} is used twice"
                )
            names.add(name)
            request = mapping(item.get("request"))
            path = request.get("path", raw["path"])
            if not isinstance(path, str):
                continue
            if matcher is None:
                from werkzeug.routing import Map, Rule  # noqa: PLC0415 - only for examples

                matcher = Map([Rule(rule, endpoint="route", methods=list(methods))]).bind("x")
            try:
                matcher.match(path, method=methods[0] if methods else "GET")
            except Exception:  # NotFound, a redirect, or a path with `{...}` left in it
                self.build.problem(
                    source,
                    where + ("request", "path"),
                    f"{path!r} is not a path this route answers ({raw['path']})",
                )
                continue
            examples.append(
                Example(
                    name=name,
                    path=path,
                    query={str(k): v for k, v in mapping(request.get("query")).items()},
                    headers={
                        str(k): header_text(v) for k, v in mapping(request.get("headers")).items()
                    },
                    body=request.get("body"),
                    has_body="body" in request,
                )
            )
        return tuple(examples)
