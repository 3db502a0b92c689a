"""The README's and the guides' examples are what the product really prints."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import requests
import yaml
from click.testing import CliRunner
from running import Running

from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_what_validate_prints_for_a_bad_spec(monkeypatch):
    monkeypatch.chdir(ROOT / "tests" / "specs")
    result = CliRunner().invoke(main, ["validate", "bad.yaml"])
    assert result.exit_code == 2
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"\$ mockserve validate bad.yaml\n(.*?)\$ echo \$\?\n2\n", readme, re.S)
    assert shown is not None
    assert shown.group(1) == result.stderr


def test_the_readme_starts_with_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.*?)\n```", readme, re.S)[:2]
    assert commands[0].endswith("mockserve run specs/quickstart.yaml")
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci


def test_the_python_examples_of_the_readme_and_ci_guide_run_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)
    for doc in ("README.md", "docs/ci.md"):
        example = re.search(r"```python\n(.*?)```", (ROOT / doc).read_text(), re.S)
        assert example is not None
        code = example.group(1)
        exec(compile("import requests\n" + code, doc, "exec"), {})  # noqa: S102


def test_the_readme_example_spec_is_a_valid_spec(tmp_path):
    """Saved beside the example specs (it names their fixtures), it validates."""
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", readme, re.S).group(1)
    folder = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", folder)
    (folder / "readme.yaml").write_text(example)
    result = CliRunner().invoke(main, ["validate", str(folder / "readme.yaml")])
    assert result.exit_code == 0, result.output


def _sessions(doc: Path) -> list[tuple[list[str], list[str]]]:
    """Each `$ command` of a doc's console blocks, as arguments, with the lines shown after it."""
    sessions: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", doc.read_text(), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                sessions.append((shlex.split(line[2:], comments=True), []))
            else:
                sessions[-1][1].append(line)
    return sessions


def _get(server: Running, args: list[str]) -> list[str]:
    """`curl -s URL [-H 'Name: value']...` against `server`: the body it prints."""
    url = next(arg for arg in args if arg.startswith("localhost:8000/"))
    headers = dict(args[i + 1].split(": ", 1) for i, arg in enumerate(args) if arg == "-H")
    path = url.removeprefix("localhost:8000")
    return [requests.get(server.url + path, headers=headers, timeout=10).text]


def test_the_openapi_guide_shows_what_each_command_prints(tmp_path, monkeypatch):
    """Each `$` line of docs/openapi.md runs in a copy of specs/: `run` as a process on a free
    port (the guide shows 8000), `curl` as a GET to it, the other commands with CliRunner."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    sessions = _sessions(ROOT / "docs" / "openapi.md")
    assert [args[:2] for args, _ in sessions].count(["mockserve", "run"]) == 2
    server = None
    try:
        for args, shown in sessions:
            if args[:2] == ["mockserve", "run"]:
                if server is not None:
                    server.stop()
                server = Running(*args[2:], "--port", "0", cwd=tmp_path)
                printed = [
                    line.replace(server.url, "http://127.0.0.1:8000") for line in server.serving()
                ]
            elif args[0] == "curl":
                assert server is not None, "a curl before any run"
                printed = _get(server, args)
            else:
                assert args[0] == "mockserve", args
                printed = CliRunner().invoke(main, args[1:]).output.splitlines()
            assert printed == shown, args
    finally:
        if server is not None:
            server.stop()


def test_the_openapi_guide_shows_the_route_that_import_writes(tmp_path):
    guide = (ROOT / "docs" / "openapi.md").read_text()
    shown = yaml.safe_load(re.search(r"```yaml\n(- name: showPetById\n.*?)```", guide, re.S)[1])
    written = tmp_path / "petstore.mock.yaml"
    document = str(ROOT / "specs" / "petstore-openapi.yaml")
    assert CliRunner().invoke(main, ["import", document, "-o", str(written)]).exit_code == 0
    routes = yaml.safe_load(written.read_text())["routes"]
    assert shown == [route for route in routes if route["name"] == "showPetById"]
