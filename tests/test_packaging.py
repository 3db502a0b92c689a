"""A release as users get it: `python -m build` makes an sdist and a wheel that install and work.

The source is copied (less `.venv`, `.git` and build leftovers) and built with
`python -m build`, which builds the sdist and then the wheel *from the sdist*, so a file
the sdist forgets fails here too. The wheel is installed into a fresh `python -m venv`
with a plain `pip install WHEEL`: pip resolves the dependencies from the index the
machine's pip is set up with (PyPI in CI), nothing is shared with the test run's
environment, so a dependency missing from `pyproject.toml` fails this test. pip's cache
keeps it to about 25 s here; every step has a timeout.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from running import Running

import mockserve
from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent
LEFTOVERS = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"
)
PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def _run(args: list[str], *, timeout: float, cwd: Path) -> str:
    """Run a step of the release; fail with its output when it fails or hangs."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        done = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(args)} did not finish in {timeout} s:\n{exc.stdout}{exc.stderr}")
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel that `python -m build` makes of this checkout."""
    if importlib.util.find_spec("build") is None:
        pytest.fail("`build` is missing: pip install build (it is in the test extra: '.[test]')")
    work = tmp_path_factory.mktemp("release")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=LEFTOVERS)
    out = work / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], timeout=300, cwd=work)
    (sdist,) = out.glob("mockserve-*.tar.gz")
    (wheel,) = out.glob("mockserve-*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed, its dependencies resolved by pip."""
    where = tmp_path_factory.mktemp("installed") / "venv"
    _run([sys.executable, "-m", "venv", str(where)], timeout=120, cwd=where.parent)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    _run([*pip, str(dist["wheel"])], timeout=600, cwd=where.parent)
    return where


def _members(archive: Path) -> dict[str, bytes]:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            return {name: wheel.read(name) for name in wheel.namelist()}
    with tarfile.open(archive) as sdist:
        return {
            member.name: sdist.extractfile(member).read()  # type: ignore[union-attr]
            for member in sdist.getmembers()
            if member.isfile()
        }


@pytest.mark.parametrize("kind", ["sdist", "wheel"])
def test_no_private_key_is_shipped(dist, kind):
    found = [name for name, data in _members(dist[kind]).items() if PRIVATE_KEY.search(data)]
    assert found == [], f"{dist[kind].name} holds a private key in {found}"


def test_the_wheel_ships_the_format_schema_the_typing_marker_and_the_license(dist):
    names = set(_members(dist["wheel"]))
    version = mockserve.__version__
    assert {
        "mockserve/spec/schema.json",
        "mockserve/py.typed",
        "mockserve/ui/page.html",
        "mockserve/ui/page.js",
        "mockserve/ui/page.css",
        "mockserve/ui/messages.js",
        f"mockserve-{version}.dist-info/licenses/LICENSE",
    } <= names


def test_the_sdist_is_the_whole_source_with_its_tests(dist):
    names = {name.split("/", 1)[1] for name in _members(dist["sdist"]) if "/" in name}
    assert {
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "mockserve/py.typed",
        "mockserve/spec/schema.json",
        "tests/conftest.py",
        "tests/specs/bad.yaml",
        "specs/quickstart.yaml",
        "docs/ci.md",
    } <= names


def test_the_metadata_is_complete(dist):
    version = mockserve.__version__
    raw = _members(dist["wheel"])[f"mockserve-{version}.dist-info/METADATA"]
    metadata = Parser().parsestr(raw.decode("utf-8"))
    assert metadata["Name"] == "mockserve"
    assert metadata["Version"] == version  # read from mockserve/__init__.py
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Author"] == "mockserve contributors"
    assert metadata["Requires-Python"] == ">=3.10"
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL")} >= {"Homepage", "Source"}
    assert metadata["Keywords"]
    requires = {re.split(r"[<>=; ]", r)[0] for r in metadata.get_all("Requires-Dist")}
    assert {"flask", "pyyaml", "jsonschema", "click", "jinja2", "uvicorn"} <= requires


def _install_commands() -> list[tuple[str, list[str]]]:
    """Every `pip install` in a code block of the README and the docs, as arguments."""
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```[a-z]*\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                command = re.search(r"pip install (.*)", line.split("#")[0])
                if command:
                    found.append((f"{doc.name}: {line.strip()}", shlex.split(command.group(1))))
    return found


def test_no_install_instruction_asks_the_index_for_mockserve():
    """mockserve is not on PyPI: each instruction installs a checkout, a wheel or a Git URL."""
    commands = _install_commands()
    assert len(commands) >= 4
    from_index = [
        shown
        for shown, args in commands
        if any(re.fullmatch(r"mockserve(\[.*\])?([=<>~!].*)?", arg) for arg in args)
    ]
    assert from_index == []


def test_the_readme_installs_the_wheel_that_build_makes(dist):
    assert f"pip install dist/{dist['wheel'].name}" in (ROOT / "README.md").read_text()


def test_the_version_is_written_once_and_the_command_prints_it():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "mockserve.__version__"}' in pyproject
    assert not re.search(r"^version\s*=\s*[\"']", pyproject, re.M)
    assert importlib.metadata.version("mockserve") == mockserve.__version__
    result = CliRunner().invoke(main, ["--version"])
    assert result.output == f"mockserve, version {mockserve.__version__}\n"


def test_the_installed_command_prints_the_version(venv, tmp_path):
    printed = _run([str(venv / "bin" / "mockserve"), "--version"], timeout=60, cwd=tmp_path)
    assert printed == f"mockserve, version {mockserve.__version__}\n"
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import mockserve; print(mockserve.__file__)"],
        timeout=60,
        cwd=tmp_path,
    )
    assert Path(where.strip()).is_relative_to(venv)  # the wheel's copy, not this checkout


def test_the_installed_command_serves_the_quickstart(venv, tmp_path):
    quickstart = str(ROOT / "specs" / "quickstart.yaml")
    command = [str(venv / "bin" / "mockserve")]
    with Running(quickstart, "--port", "0", cwd=tmp_path, command=command) as server:
        server.serving()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert requests.get(server.url + "/health", timeout=10).json() == {"status": "ok"}
        assert requests.get(server.url + "/hello?name=pip", timeout=10).text == "<h1>Hello pip</h1>"
        assert server.stop() == 0
    assert server.lines[-1] == "mockserve: stopped"
