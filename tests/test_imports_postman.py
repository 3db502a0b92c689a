"""Postman collections imported: each saved example is answered to its original request."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from click.testing import CliRunner
from source_tools import shared_corpus

from mockserve import MockServer
from mockserve.cli import main

COLLECTIONS = [
    "PetstoreAPI-collection.json",
    "swagger-petstore-2.1.postman_collection.json",
    "test-api.postman_collection.json",
]
HOP = {"connection", "transfer-encoding", "date", "content-length", "content-encoding"}


def examples(collection: dict) -> list[tuple[str, dict]]:
    """(folder/request name, example) for every saved example, in the collection's order."""
    found = []

    def walk(items: list, prefix: str) -> None:
        for item in items:
            if "item" in item:
                walk(item["item"], prefix + item["name"] + "/")
            for example in item.get("response", []):
                found.append((prefix + item["name"], example))

    walk(collection["item"], "")
    return found


def original_request(example: dict) -> dict:
    """The example's original request as a client sends it (path values filled in)."""
    url = example["originalRequest"]["url"]
    raw = url["raw"] if isinstance(url, dict) else url
    parts = urlsplit(raw)
    path = "/" + "/".join(s for s in parts.path.split("/") if s)
    for variable in url.get("variable", []) if isinstance(url, dict) else []:
        path = path.replace(":" + variable["key"], str(variable["value"]))
    body = example["originalRequest"].get("body") or {}
    return {
        "method": example["originalRequest"].get("method", "GET"),
        "url": path + (f"?{parts.query}" if parts.query else ""),
        "headers": {h["key"]: h["value"] for h in example["originalRequest"].get("header", [])},
        "data": body.get("raw"),
    }


def imported(tmp: Path, name: str) -> tuple[Path, str]:
    output = tmp / "spec.yaml"
    source = shared_corpus("postman") / name
    result = CliRunner().invoke(main, ["import", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return output, result.stderr


@pytest.mark.parametrize("name", COLLECTIONS)
def test_every_example_answers_its_original_request(tmp_path, name):
    spec_path, _ = imported(tmp_path, name)
    collection = json.loads((shared_corpus("postman") / name).read_text())
    with MockServer(spec_path) as server, requests.Session() as session:
        for route, example in examples(collection):
            asked = original_request(example)
            what = f"{route}: example {example['name']!r}"
            got = session.request(
                asked["method"], server.url + asked["url"], headers=asked["headers"],
                data=asked["data"], timeout=5,
            )  # fmt: skip
            assert got.status_code == example["code"], what
            try:
                assert got.json() == json.loads(example["body"]), what
            except ValueError:
                assert got.text == example["body"], what
            for header in example["header"]:
                if header["key"].lower() not in HOP:
                    assert got.headers.get(header["key"]) == header["value"], (what, header)


def test_examples_become_when_branches_and_folders_prefix_names(tmp_path):
    spec_path, _ = imported(tmp_path, "PetstoreAPI-collection.json")
    text = spec_path.read_text()
    assert "  - name: pet/Find pet by ID\n    method: GET\n    path: /v2/pet/{petId}\n" in text
    # get-1 differs from get-2 (the first example, the fallback) in the path value and query.
    assert '- when: "(path.petId | string) == \\"1\\" and query.user_key == ' in text


def test_scripts_and_requests_without_examples_are_reported(tmp_path):
    _, warnings = imported(tmp_path, "test-api.postman_collection.json")
    source = str(shared_corpus("postman") / "test-api.postman_collection.json")
    assert warnings.splitlines() == [
        f"{source}:/item/0/item/0/event/0: test script: not run",
        f"{source}:/item/0/item/0/event/1: prerequest script: not run",
        f"{source}:/item/0/item/2/event/0: test script: not run",
        f"{source}:/item/0/item/3: request 'order/http:///order/:id': no saved example to "
        "answer with; not imported",
    ]
    strict = CliRunner().invoke(
        main, ["import", source, "-o", str(tmp_path / "again.yaml"), "--strict"]
    )
    assert strict.exit_code == 1
    assert (tmp_path / "again.yaml").exists()  # written all the same: --strict only fails
