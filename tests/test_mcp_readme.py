"""The README's MCP section, replayed: its client configurations and the agent loop's transcript.

The transcript's `→ TOOL {...}` lines are sent with the SDK's client to `mockserve mcp
shop.yaml`; each `←` result must hold every field the README shows (the README leaves
some out), `← error:` lines must be in the tool error's text, and `HTTP METHOD PATH ⇒
STATUS` lines are requests to the mock the transcript started.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import requests
from mcp_client import Agent, ToolFailed

ROOT = Path(__file__).resolve().parent.parent


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Coding agents (MCP)")
    return readme[start : readme.index("\n## ", start + 1)]


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", _section(), re.S)


def _steps(transcript: str) -> list[tuple[str, str]]:
    """(kind, text) for each step; a JSON value may go on over the lines that follow."""
    steps: list[tuple[str, str]] = []
    for line in transcript.splitlines():
        for kind in ("→ ", "← error: ", "← ", "HTTP "):
            if line.startswith(kind):
                steps.append((kind.strip(), line[len(kind) :]))
                break
        else:
            kind, text = steps[-1]
            steps[-1] = (kind, text + "\n" + line)
    return steps


def _holds(shown: Any, actual: Any, port: str) -> bool:
    """True when `actual` has every field `shown` has, with the same values."""
    if isinstance(shown, dict):
        return isinstance(actual, dict) and all(
            key in actual and _holds(value, actual[key], port) for key, value in shown.items()
        )
    if isinstance(shown, list):
        return (
            isinstance(actual, list)
            and len(shown) <= len(actual)
            and all(_holds(s, a, port) for s, a in zip(shown, actual, strict=False))
        )
    if isinstance(shown, str):
        return shown.replace("PORT", port) == actual
    return bool(shown == actual)


def test_the_client_configurations_start_mockserve_mcp_on_a_spec() -> None:
    desktop, vscode = (json.loads(block) for block in _blocks("json"))
    assert desktop["mcpServers"]["mockserve"]["args"][0] == "mcp"
    server = vscode["servers"]["mockserve"]
    assert server["type"] == "stdio" and server["args"][0] == "mcp"


def test_the_agent_loop_of_the_readme_runs_as_shown(tmp_path: Path) -> None:
    spec = _blocks("yaml")[0]
    (tmp_path / "shop.yaml").write_text(spec)
    url = port = ""
    result: Any = None
    with Agent("shop.yaml", cwd=tmp_path) as agent:
        for kind, text in _steps(_blocks("text")[0]):
            if kind == "→":
                tool, _, arguments = text.partition(" ")
                try:
                    result = agent.call(tool, **json.loads(arguments))
                except ToolFailed as failed:
                    result = failed
                if tool == "start_mock":
                    url = result["url"]
                    port = url.rpartition(":")[2]
            elif kind == "←":
                assert not isinstance(result, ToolFailed), result
                assert _holds(json.loads(text), result, port), (text, result)
            elif kind == "← error:":
                assert isinstance(result, ToolFailed), result
                assert " ".join(text.split()) in " ".join(str(result).split())
            else:
                method, path, _, status = text.split()
                assert requests.request(method, url + path, timeout=5).status_code == int(status)
    diff = _blocks("diff")[0].splitlines()
    before = "\n".join(line[1:] for line in diff if not line.startswith("+"))
    after = "\n".join(line[1:] for line in diff if not line.startswith("-"))
    assert spec.replace(before, after) == (tmp_path / "shop.yaml").read_text()
    assert before in spec
