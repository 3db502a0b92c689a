"""curl lines imported as contracts, and sources that cannot be imported: located, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from source_tools import shared_corpus

from mockserve import MockServer
from mockserve.cli import main


def run_import(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["import", *args], input=stdin)


def test_each_curl_line_is_a_route_whose_contract_is_the_request(tmp_path):
    output = tmp_path / "spec.yaml"
    source = shared_corpus("curl") / "requests.curl"
    result = run_import(str(source), "-o", str(output))
    assert result.exit_code == 0, result.output
    answer = "the answer: a curl line has none, so the route answers 200 {} until edited"
    assert result.stderr.splitlines() == [f"{source}:{line}: {answer}" for line in (1, 6, 8)]
    with MockServer(output) as server:
        order = {"item": "pen", "qty": 2, "gift": False}
        auth = {"Authorization": "Bearer tok-123"}
        ok = requests.post(f"{server.url}/v1/orders", json=order, headers=auth, timeout=5)
        assert (ok.status_code, ok.json()) == (200, {})
        wrong = requests.post(
            f"{server.url}/v1/orders", json={"item": 1, "qty": 2, "gift": False}, headers=auth
        )
        assert wrong.status_code == 422  # the body's inferred schema: item is a string
        assert requests.post(f"{server.url}/v1/orders", json=order).status_code == 422
        search = f"{server.url}/v1/search?q=shoes&limit=10"
        assert requests.get(search, headers={"Accept": "application/json"}).status_code == 200
        assert requests.get(f"{server.url}/v1/search?q=shoes").status_code == 422
        assert requests.delete(f"{server.url}/v1/orders/42", headers=auth).status_code == 200


def test_stdin_and_strict(tmp_path):
    output = tmp_path / "spec.yaml"
    line = "curl -X PUT http://localhost/things/1 -H 'X-Key: 1' --data-raw '{\"a\": 1}'\n"
    result = run_import("-", "-o", str(output), "--from", "curl", "--strict", stdin=line)
    assert result.exit_code == 1  # the answer was not in the source: dropped
    assert output.exists()


@pytest.mark.parametrize(
    ("name", "text", "args", "said"),
    [
        ("broken.json", "{\"request\": {},\n \"response\": {", [], "broken.json:2:15: not JSON"),
        ("other.json", '{"swagger2": true}', [], "other.json:/: JSON of no known format"),
        ("mapping.json", '{"request": {"url": "/a"}, "response": {}}', ["--from", "postman"],
         "mapping.json:/: not a postman file (it looks like wiremock)"),
        ("bad.json", '{"request": {"urlPattern": "/a/(["}, "response": {}}', [],
         "bad.json:/request/urlPattern: bad regular expression"),
        ("two.json", '{"mappings": [{"request": {}, "response": {}}, {"response": {}}]}', [],
         "two.json:/mappings/1/request: missing, or not an object"),
        ("faulty.json", '{"request": {"url": "/a"}, "response": {"fault": "BOOM"}}', [],
         "faulty.json:/response/fault: unknown fault 'BOOM'"),
        ("env.json", '{"lastMigration": 33, "routes": [{"endpoint": "a"}]}', [],
         "env.json:/routes/0: a route needs a responses list"),
        ("lines.txt", "curl 'http://x/a\n", [], "lines.txt:1: cannot read the command line"),
    ],
)  # fmt: skip
def test_a_source_that_cannot_be_imported_is_located_and_nothing_is_written(
    tmp_path, name, text, args, said
):
    source = tmp_path / name
    source.write_text(text)
    output = tmp_path / "out" / "spec.yaml"
    output.parent.mkdir()
    result = run_import(str(source), "-o", str(output), *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{tmp_path}/{said}"), result.stderr
    assert "Traceback" not in result.output
    assert list(output.parent.iterdir()) == []


def test_a_missing_source(tmp_path):
    result = run_import(str(tmp_path / "nope.json"), "-o", str(tmp_path / "s.yaml"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr
    assert not Path(tmp_path / "s.yaml").exists()
