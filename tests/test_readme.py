"""The README's examples are what the product really prints."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

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
