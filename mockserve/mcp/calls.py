"""How the tools are called: their arguments' shared schema parts, and their errors.

The SDK checks arguments against each tool's JSON Schema (made from these annotations)
before the tool runs; what it refuses, and what a tool cannot do, reaches the agent as
a tool error (`isError`) whose text says what to fix.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError

from ..errors import MockserveError, SpecError
from ..report import plural
from .specfile import Refused

log = logging.getLogger("mockserve.mcp")

Func = TypeVar("Func", bound=Callable[..., Any])

SpecArg = Annotated[
    str | None,
    Field(
        description="A spec file's path (relative to the spec's folder, or absolute inside "
        "it). Default: the SPEC the server was started with."
    ),
]
MockArg = Annotated[
    str | None,
    Field(description="The mock's id, from start_mock's result. Default: the only mock running."),
]
RouteArg = Annotated[
    dict[str, Any] | str,
    Field(
        description="One route in the spec format's shape, as an object or as YAML text, e.g. "
        '{"path": "/users/{id}", "response": {"json": {"id": "{{ path.id }}"}}}. '
        "Keys: path (required), method, name, request (contract), response or responses "
        "(with when / order), faults, callbacks. See the resource mockserve://schema."
    ),
]
NameArg = Annotated[
    str,
    Field(
        description="The route's name: its `name`, else its methods and path as list_routes "
        "shows them (e.g. 'GET /users/{id}')."
    ),
]


class Server(MCPServer):
    """The SDK's server, with arguments that miss the input schema said in a person's words."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(_bad_arguments(name, exc.__cause__)) from exc.__cause__
            raise


def _bad_arguments(tool: str, error: ValidationError) -> str:
    """What is wrong with the arguments given, one line per argument."""
    said: dict[str, list[str]] = {}
    given: dict[str, Any] = {}
    for problem in error.errors():
        argument = str(problem["loc"][0]) if problem["loc"] else "arguments"
        if problem["type"] == "missing":
            message = "missing; it is required"
        else:
            message = problem["msg"][:1].lower() + problem["msg"][1:]
            given[argument] = problem.get("input")
        said.setdefault(argument, [])
        if message not in said[argument]:
            said[argument].append(message)
    lines = [f"Error executing tool {tool}: fix these arguments (its input schema says more):"]
    for argument, messages in said.items():
        line = f"- {argument}: {' or '.join(messages)}"
        if argument in given:
            line += f" (got {json.dumps(given[argument], default=str)[:80]})"
        lines.append(line)
    return "\n".join(lines)


def tool_errors(fn: Func) -> Func:
    """Turn what a tool cannot do into a tool error that says what to fix."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ToolError:
            raise
        except Refused as exc:
            raise ToolError(str(exc)) from None
        except SpecError as exc:
            lines = [str(p) for p in exc.problems]
            head = f"the spec has {plural(len(lines), 'problem')}; fix them (add_route, "
            head += "update_route, remove_route edit it), then call again:"
            raise ToolError("\n".join([head, *lines])) from None
        except MockserveError as exc:
            raise ToolError(str(exc)) from None
        except OSError as exc:
            raise ToolError(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
        except Exception as exc:  # a defect of ours: said, logged, and the server goes on
            log.exception("tool %s failed", fn.__name__)
            raise ToolError(f"internal error: {type(exc).__name__}: {exc}") from None

    return call  # type: ignore[return-value]
