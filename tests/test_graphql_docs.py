"""docs/graphql.md shows what the product really prints and answers, and the README's
GraphQL example spec is the example spec."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import requests
from click.testing import CliRunner
from running import Running

from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "graphql.md"


def sessions(doc: Path) -> list[tuple[list[str], list[str]]]:
    """Each `$ command` of the doc's console blocks, as arguments, with the lines after it."""
    found: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", doc.read_text(), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((shlex.split(line[2:]), []))
            else:
                found[-1][1].append(line)
    return found


def curl(server: Running, args: list[str]) -> list[str]:
    """`curl -s URL [-H 'Name: value']... [-d DATA]`: the body it prints (a POST with -d)."""
    url = next(arg for arg in args if arg.startswith("localhost:8000/"))
    headers = dict(args[i + 1].split(": ", 1) for i, arg in enumerate(args) if arg == "-H")
    data = next((args[i + 1] for i, arg in enumerate(args) if arg == "-d"), None)
    method = "POST" if data is not None else "GET"
    target = server.url + url.removeprefix("localhost:8000")
    return [requests.request(method, target, data=data, headers=headers, timeout=10).text]


def test_the_graphql_guide_shows_what_each_command_prints(tmp_path, monkeypatch):
    """`run` as a process on a free port (the guide shows 8000), `curl` against it, the
    other commands with CliRunner, all in a copy of specs/ and tests/specs/."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copytree(ROOT / "tests" / "specs", tmp_path / "tests" / "specs")
    monkeypatch.chdir(tmp_path)
    done = sessions(GUIDE)
    assert [args[0] for args, _ in done].count("curl") == 3
    server = None
    try:
        for args, shown in done:
            if args[:2] == ["mockserve", "run"]:
                server = Running(*args[2:], "--port", "0", cwd=tmp_path)
                printed = [
                    line.replace(server.url, "http://127.0.0.1:8000") for line in server.serving()
                ]
            elif args[0] == "curl":
                assert server is not None, "a curl before any run"
                printed = curl(server, args)
            else:
                assert args[0] == "mockserve", args
                printed = CliRunner().invoke(main, args[1:]).output.splitlines()
            assert printed == shown, args
    finally:
        if server is not None:
            server.stop()


def test_the_readme_graphql_spec_validates_beside_the_example_schema(tmp_path):
    """Saved beside specs/library.graphql, the README's GraphQL spec is a valid spec."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## GraphQL", 1)[1].split("\n## ", 1)[0]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    shutil.copy(ROOT / "specs" / "library.graphql", tmp_path)
    (tmp_path / "spec.yaml").write_text(example.group(1))
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "spec.yaml")])
    assert result.exit_code == 0, result.output
