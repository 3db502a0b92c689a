"""An MCP server for coding agents: build, run and read mocks, leaving the work in the spec.

`mockserve mcp [SPEC]` serves it on stdio. This package sits at the top, beside `cli`
and `testing`; inside it, `mcp` (an absolute import) is the official MCP SDK.
"""

from .server import Session, build_server

__all__ = ["Session", "build_server"]
