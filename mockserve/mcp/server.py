"""`mockserve mcp`: the tools and resources a coding agent uses to build and run mocks.

Built on the official MCP SDK's `MCPServer`: each tool's arguments are typed, so the SDK
publishes their JSON Schema and refuses bad ones as tool errors; each tool's docstring is
the description the agent (and a person) reads. A tool that cannot do what was asked
raises `ToolError`, whose text says what to fix; nothing a tool does stops the server.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ResourceError
from pydantic import Field

from .. import __version__
from ..errors import SpecError
from ..spec import Spec, format_schema
from .calls import Func, MockArg, NameArg, RouteArg, Server, SpecArg, tool_errors
from .documents import import_document, verify_spec
from .explain import explain
from .mocks import Mocks, RemoteMock
from .specfile import Edited, Refused, SpecFiles, dumps

INSTRUCTIONS = """\
mockserve serves a fake HTTP backend from one YAML spec file. Your work stays in that
file: add, change and remove routes with add_route / update_route / remove_route (each
edit is checked first; a refused edit lists the problems and leaves the file as it was).
Run the spec with start_mock (it answers on the `url` it returns) and send requests to it.
When a request does not get the answer you expected, read why with get_journal (each
entry names the route that answered, the closest routes and why they missed, and the
contract failures) or ask explain_request before sending. Fix the spec, then try again:
a running mock serves every edit at once. The resources give the spec file and the
format's JSON Schema."""


class Session:
    """What one MCP session works on: the spec files it may edit and the mocks it drives."""

    def __init__(self, spec: str | None, url: str | None, admin_token: str | None):
        self.files = SpecFiles(spec)
        remote = None
        if url is not None:
            default = self.files.default
            admin = "/__mockserve"
            if default is not None and default.exists():
                try:
                    admin = self.files.load(default).settings.admin or admin
                except SpecError:
                    pass
            remote = RemoteMock(url, admin_token, default.resolve() if default else None, admin)
        self.mocks = Mocks(remote)
        self.files.served = self.mocks.specs

    def spec(self, given: str | None) -> tuple[Path, Spec]:
        path = self.files.existing(given)
        return path, self.files.load(path)

    def reloaded(self, edited: Edited) -> dict[str, Any]:
        """Serve the edited spec from the mocks that serve it; say which."""
        shown: dict[str, Any] = {}
        mocks = self.mocks.serving(edited.main.resolve())
        for mock in mocks:
            mock.reload(edited.spec)
        if mocks:
            shown["reloaded"] = [m.describe() for m in mocks]
        remote = self.mocks.remote
        if remote is not None and remote.spec_path == edited.main.resolve():
            shown["note"] = f"the mock at {remote.url} serves this edit if it runs with `--watch`"
        return shown

    def stop(self) -> None:
        self.mocks.stop_all()


def build_server(
    spec: str | None = None, url: str | None = None, admin_token: str | None = None
) -> tuple[Server, Session]:
    """The MCP server for `spec` (and the mock at `url`), and the session it works on."""
    session = Session(spec, url, admin_token)
    server = Server(
        "mockserve", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )
    files, mocks = session.files, session.mocks

    def tool(name: str | None = None) -> Callable[[Func], Func]:
        def register(fn: Func) -> Func:
            server.add_tool(
                tool_errors(fn),
                name=name or fn.__name__,
                description=inspect.cleandoc(fn.__doc__ or ""),
                structured_output=False,
            )
            return fn

        return register

    @tool()
    def validate_spec(spec: SpecArg = None) -> str:
        """Check a spec file and list every problem as FILE:LINE:COL: WHERE: MESSAGE.

        The result says `valid` and, when it is not, each problem where it stands in the
        file; warnings (what the spec asks that mockserve does not do) are listed too.
        """
        path = files.existing(spec)
        try:
            loaded = files.load(path)
        except SpecError as exc:
            problems = [str(p) for p in exc.problems]
            return dumps({"spec": str(path), "valid": False, "problems": problems})
        warnings = [str(w) for w in loaded.warnings]
        shown = {"spec": str(path), "valid": True, "routes": len(loaded.routes)}
        return dumps({**shown, "problems": [], "warnings": warnings})

    @tool()
    def list_routes(spec: SpecArg = None) -> str:
        """List the routes a spec serves: name, methods and path, in matching order.

        Names are what update_route and remove_route take. A resource's routes (its
        CRUD operations) are listed too, marked with the resource they belong to.
        """
        from ..resources import resource_routes

        if spec is None and files.default is None and mocks.remote is not None:
            return dumps({"url": mocks.remote.url, "routes": mocks.remote.routes()})
        path, loaded = session.spec(spec)
        routes = [
            {"name": r.name, "methods": list(r.methods), "path": r.path} for r in loaded.routes
        ]
        for resource in loaded.resources:
            routes += [
                {"name": r.name, "methods": [r.method], "path": r.path, "resource": resource.name}
                for r in resource_routes(resource)
            ]
        return dumps({"spec": str(path), "routes": routes})

    @tool()
    def add_route(route: RouteArg, spec: SpecArg = None) -> str:
        """Add a route at the end of the spec's `routes`, keeping the rest of the file as it is.

        The edited spec is checked before it is written: if it would not load, nothing is
        written and the error lists each problem (FILE:LINE:COL) with the route as it would
        have stood. A mock started on this spec serves the new route at once.
        """
        path = files.path(spec)
        edited = files.add_route(path, route)
        return dumps({**edited.as_json("added"), **session.reloaded(edited)})

    @tool()
    def update_route(name: NameArg, route: RouteArg, spec: SpecArg = None) -> str:
        """Replace the route `name` with `route`, in place; the rest of the file stays as it is.

        `route` is the whole new route (not a patch). If it has no `name` and the old one
        had, the old name is kept. Checked before it is written, like add_route; a mock
        started on this spec serves the new version at once.
        """
        path = files.path(spec)
        edited = files.update_route(path, name, route)
        return dumps({**edited.as_json("updated"), **session.reloaded(edited)})

    @tool()
    def remove_route(name: NameArg, spec: SpecArg = None) -> str:
        """Remove the route `name` from the spec (its text only; comments above it stay).

        Checked before it is written, like add_route; a mock started on this spec stops
        serving the route at once.
        """
        path = files.path(spec)
        edited = files.remove_route(path, name)
        return dumps({**edited.as_json("removed"), **session.reloaded(edited)})

    @tool()
    def start_mock(spec: SpecArg = None) -> str:
        """Serve a spec on a free port of 127.0.0.1; the result gives its `mock_id` and `url`.

        Send requests to that url with any HTTP client. The mock serves every later edit
        of its spec at once, made with the route tools or in the file (as `mockserve run
        --watch`; its journal and state then start over). It runs until stop_mock, or
        until this MCP session ends.
        """
        path, loaded = session.spec(spec)
        mock = mocks.start(path, loaded)
        return dumps({**mock.describe(), "routes": len(loaded.routes)})

    @tool()
    def stop_mock(mock_id: MockArg = None) -> str:
        """Stop a mock this session started; its port stops answering."""
        mock = mocks.stop(mock_id)
        return dumps({"stopped": mock.id, "url": mock.url})

    @tool()
    def get_journal(
        mock_id: MockArg = None,
        since: Annotated[
            int | None,
            Field(
                ge=0,
                description="Only requests after this journal id (the `id` of the last "
                "entry you read). Default: every request kept.",
            ),
        ] = None,
    ) -> str:
        """The requests a mock received, oldest first, and what it answered each.

        Each entry has `route` (the route that answered; null when none matched),
        `status`, `response`, `why` (when no route matched: the closest routes and why
        each missed, e.g. another method, or the path differs at a segment) and `failures`
        (the request contract's failures behind a 422, each with where and what).
        A `warning` says when the spec on disk has problems and the mock still serves
        its previous version.
        """
        mock = mocks.get(mock_id)
        entries = mock.journal(since)
        return dumps({**mock.describe(), "entries": entries})

    @tool()
    def explain_request(
        method: Annotated[str, Field(description="The HTTP method, e.g. GET or POST.")],
        path: Annotated[str, Field(description="The request path, e.g. /users/42 (no query).")],
        query: Annotated[
            dict[str, str | list[str]] | None,
            Field(description='Query parameters, e.g. {"page": "2"}.'),
        ] = None,
        headers: Annotated[
            dict[str, str] | None,
            Field(description='Request headers, e.g. {"Authorization": "Bearer x"}.'),
        ] = None,
        body: Annotated[
            Any,
            Field(
                description="The request body: JSON (an object, list, ...) is sent as "
                "application/json; a string is sent as it is (set Content-Type in headers)."
            ),
        ] = None,
        spec: SpecArg = None,
    ) -> str:
        """What the mock would answer to a request and why, without sending it anywhere.

        The request goes through the mock's own matching in this process: the result
        names the route that would answer (with status and response), or the closest
        routes and why each missed, and the contract failures a 422 would list. Nothing
        is forwarded, no delay is waited and no fault is drawn (the route's faults are
        listed); state is as the spec starts it.
        """
        _, loaded = session.spec(spec)
        return dumps(explain(loaded, method, path, query, headers, body))

    @tool()
    def reset(mock_id: MockArg = None) -> str:
        """Start a mock over: its journal, state, resources and sequences, as at start."""
        mock = mocks.get(mock_id)
        mock.reset()
        return dumps({"reset": mock.id, "url": mock.url})

    @tool("import")
    def import_(
        document: Annotated[
            str,
            Field(
                description="What to import, inside the spec's folder: an OpenAPI document, "
                "a HAR of recorded traffic, a Postman collection, WireMock mappings (a file or "
                "a folder), a Mockoon environment, or a file of curl command lines."
            ),
        ],
        spec: Annotated[
            str | None,
            Field(
                description="Where to write the new spec (inside the folder; it must not "
                "exist yet). Default: the SPEC the server was started with."
            ),
        ] = None,
    ) -> str:
        """Write a new spec that serves what another tool describes (as `mockserve import`).

        OpenAPI, HAR, Postman, WireMock, Mockoon or curl; the format is told by the file.
        The spec is written only when it does not exist yet and loads; edit it afterwards
        with the route tools. The result counts its routes and lists what was dropped.
        """
        target = files.path(spec)
        source = files.path(document)
        return dumps(import_document(source, target))

    @tool()
    def verify(
        url: Annotated[
            str, Field(description="The real backend's base URL, e.g. http://localhost:8080.")
        ],
        routes: Annotated[
            list[str] | None,
            Field(description="Check only these routes (names). Default: every route."),
        ] = None,
        spec: SpecArg = None,
    ) -> str:
        """Check that a real backend still answers as the spec says.

        Each route's examples (or a request made from its contract) go to the mock and to
        `url`; status, media type, the headers the spec sets and the JSON shape must agree.
        The result lists each case as passed, failed (with the differences) or skipped.
        """
        _, loaded = session.spec(spec)
        return dumps(verify_spec(loaded, url, tuple(routes or ())))

    @server.resource(
        "mockserve://spec",
        name="spec",
        title="The spec file",
        description="The spec this server was started with, as it is on disk now.",
        mime_type="application/yaml",
    )
    def spec_text() -> str:
        try:
            return files.read(files.path(None))
        except Refused as exc:
            raise ResourceError(str(exc)) from None

    @server.resource(
        "mockserve://schema",
        name="schema",
        title="The spec format's JSON Schema",
        description="What every key of a spec may hold (mockserve/spec/schema.json).",
        mime_type="application/schema+json",
    )
    def schema_text() -> str:
        return dumps(format_schema())

    return server, session
