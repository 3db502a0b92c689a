"""Route edits as text: how each shape of spec file comes out of add, update and remove.

The MCP tools call these; here each case is a file before and after, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserve.mcp.specfile import Refused, SpecFiles

NEW = {"path": "/new", "response": {"text": "n"}}
NEW_TEXT = "  - path: /new\n    response:\n      text: n\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "mockserve: 1\ntitle: T\n",
            "mockserve: 1\ntitle: T\nroutes:\n" + NEW_TEXT,
            id="no routes key: one is added",
        ),
        pytest.param(
            "mockserve: 1\nroutes: []\ntitle: T\n",
            "mockserve: 1\nroutes:\n" + NEW_TEXT + "title: T\n",
            id="an empty flow list becomes a block",
        ),
        pytest.param(
            "mockserve: 1\nroutes:\n- path: /a\n  response: {text: a}",
            "mockserve: 1\nroutes:\n- path: /a\n  response: {text: a}\n"
            "- path: /new\n  response:\n    text: n\n",
            id="dashes at column 0, no final line break",
        ),
        pytest.param(
            "mockserve: 1\nroutes:\n  - path: /a\n    response: {text: a}\n\n"
            "  - path: /b\n    response: {text: b}\n# the end\n",
            "mockserve: 1\nroutes:\n  - path: /a\n    response: {text: a}\n\n"
            "  - path: /b\n    response: {text: b}\n\n" + NEW_TEXT + "# the end\n",
            id="routes spaced by blank lines: so is the new one",
        ),
    ],
)
def test_add_route(tmp_path: Path, before: str, after: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(before)
    SpecFiles(spec).add_route(spec, NEW)
    assert spec.read_text() == after


BLOCK = (
    "mockserve: 1\nroutes:\n"
    "  - path: /a   # greets\n    response:\n      text: |\n        hello\n        there\n\n"
    "  - path: /b\n    response: {text: b}\n"
)


def test_update_route_replaces_a_route_ending_in_a_block_of_text_but_not_the_blank_line(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(BLOCK)
    SpecFiles(spec).update_route(spec, "GET /a", "path: /a\nresponse: {text: hi}")
    assert spec.read_text() == BLOCK.replace(
        "  - path: /a   # greets\n    response:\n      text: |\n        hello\n        there\n",
        "  - path: /a\n    response: {text: hi}\n",
    )


def test_remove_route_takes_the_blank_line_above_it(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(BLOCK)
    SpecFiles(spec).remove_route(spec, "GET /b")
    assert spec.read_text() == BLOCK[: BLOCK.index("\n  - path: /b")]


def test_a_flow_list_of_routes_is_refused_saying_why(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("mockserve: 1\nroutes: [{path: /a, response: {text: a}}]\n")
    with pytest.raises(Refused, match="flow-style list"):
        SpecFiles(spec).add_route(spec, NEW)
    with pytest.raises(Refused, match="flow-style list"):
        SpecFiles(spec).remove_route(spec, "GET /a")


def test_an_edit_of_a_broken_spec_says_the_problems_were_there_before(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    broken = "mockserve: 1\nroutes:\n  - path: /a\n    response: {status: teapot}\n"
    spec.write_text(broken)
    with pytest.raises(Refused) as refused:
        SpecFiles(spec).add_route(spec, NEW)
    assert "The spec had 1 problem before this edit: `validate_spec` lists them." in str(
        refused.value
    )
    assert spec.read_text() == broken
    SpecFiles(spec).update_route(spec, "GET /a", {"path": "/a", "response": {"status": 418}})
    assert spec.read_text() == (
        "mockserve: 1\nroutes:\n  - path: /a\n    response:\n      status: 418\n"
    )
