"""`mockserve mcp`: the MCP server a coding agent starts, on stdio."""

from __future__ import annotations

import signal
import sys

import click

from .common import http_url


@click.command("mcp")
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--url",
    default=None,
    metavar="URL",
    help="Also drive the mock already running at URL (journal, reset) through its admin API.",
)
@click.option(
    "--admin-token",
    default=None,
    metavar="TOKEN",
    help="The --admin-token that mock was started with, if any.",
)
def mcp(spec: str | None, url: str | None, admin_token: str | None) -> None:
    """Serve the Model Context Protocol on stdio, for coding agents.

    An agent (Claude Desktop, VS Code, Cursor, ...) starts this command and gets tools
    to edit SPEC's routes in place (every edit checked first; comments and the rest of
    the file kept byte for byte), start and stop mocks of it on free ports, read their
    journals with why each request missed, and ask what the mock would answer to a
    request. Only spec files in SPEC's folder are read or written. Mocks started by
    the agent stop when it disconnects.

    \b
    Add it to an MCP client's configuration, e.g.:
      {"mcpServers": {"mockserve": {"command": "mockserve",
                                    "args": ["mcp", "/path/to/spec.yaml"]}}}
    """
    if admin_token is not None and url is None:
        raise click.UsageError("--admin-token is for the mock at --url; give --url too")
    if url is not None:
        url = http_url(url, "--url")
    from ..mcp import build_server

    server, session = build_server(spec, url, admin_token)

    def stop(signum: int, frame: object) -> None:
        sys.exit(0)  # through the `finally` below: the mocks stop with the server

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
