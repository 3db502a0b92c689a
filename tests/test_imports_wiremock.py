"""WireMock mappings imported: the spec answers every stub's request as WireMock does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from imports_compare import ask, same_answer
from source_tools import shared_corpus, wiremock

from mockserve import MockServer, load_spec
from mockserve.cli import main

HERE = Path(__file__).parent / "imports" / "wiremock"

# What each mapping of the corpus describes, in the order a client would send it (the
# scenario's three requests move its state, on both servers alike).
REQUESTS = [
    {"path": "/remote-load/1"},
    {"method": "POST", "path": "/remote-load/1"},
    {"path": "/remote-load/2", "headers": {"Accept": "text/plain"}},
    {"path": "/remote-load/2", "headers": {"Accept": "application/json"}},
    {"path": "/slow-response"},
    {"path": "/templated"},
    {"path": "/image-file"},
    {"path": "/text-file"},
    {"path": "/text-file-from-header"},
    {"path": "/todo/items"},
    {"method": "POST", "path": "/todo/items", "data": "Cancel newspaper subscription"},
    {"path": "/todo/items"},
    {"path": "/no-such-stub"},
]


def imported(tmp: Path, source: Path) -> tuple[Path, str]:
    output = tmp / "spec.yaml"
    result = CliRunner().invoke(main, ["import", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return output, result.stderr


@pytest.fixture(scope="module")
def corpus_import(tmp_path_factory):
    return imported(tmp_path_factory.mktemp("wiremock"), shared_corpus("wiremock"))


def test_the_corpus_imports_and_says_what_it_dropped(corpus_import):
    spec_path, warnings = corpus_import
    spec = load_spec(spec_path)
    assert [route.name for route in spec.routes][:3] == ["fault", "one", "random-delayed"]
    assert warnings.splitlines() == [
        "mappings/random-delayed.json:/response/delayDistribution: lognormal delay distribution"
    ]
    text = spec_path.read_text()
    assert "  # mappings/two.json\n  - name: two" in text  # each route says where it came from
    assert (spec_path.parent / "fixtures" / "favicon3.png").read_bytes() == (
        shared_corpus("wiremock") / "__files" / "favicon3.png"
    ).read_bytes()


def test_answers_as_wiremock_does(corpus_import):
    spec_path, _ = corpus_import
    with (
        wiremock(shared_corpus("wiremock")) as source,
        MockServer(spec_path) as ours,
        requests.Session() as s,
    ):
        for request in REQUESTS:
            what = json.dumps(request)
            same_answer(ask(s, source, request), ask(s, ours.url, request), what)
