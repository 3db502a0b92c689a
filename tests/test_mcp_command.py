"""`mockserve mcp` on the command line: its help, and the option mistakes it refuses."""

from __future__ import annotations

from click.testing import CliRunner

from mockserve.cli import main


def test_the_help_says_what_it_is_and_how_a_client_starts_it() -> None:
    result = CliRunner().invoke(main, ["mcp", "--help"])
    assert result.exit_code == 0
    assert "Serve the Model Context Protocol on stdio, for coding agents." in result.output
    assert '"args": ["mcp", "/path/to/spec.yaml"]' in result.output
    listed = CliRunner().invoke(main, ["--help"]).output
    assert "mcp" in listed


def test_a_token_without_a_url_and_a_url_that_is_not_one_are_refused() -> None:
    result = CliRunner().invoke(main, ["mcp", "--admin-token", "t"])
    assert result.exit_code == 2
    assert "--admin-token is for the mock at --url; give --url too" in result.output
    result = CliRunner().invoke(main, ["mcp", "--url", "localhost:8000"])
    assert result.exit_code == 2
    assert "'localhost:8000' is not an http(s) URL" in result.output
