"""Specs written as YAML (`mockserve import`) read back as the very same data."""

from __future__ import annotations

import yaml

from mockserve.spec.source import parse_source
from mockserve.spec.writer import dump_spec

TRICKY = [
    *("yes", "no", "on", "off", "y", "null", "~", "", " x", "x ", "1e3", "0x1F", "1_000"),
    *("12:30", ".5", ".inf", "2024-01-01", "<<", "=", "- a", "#c", "a: b", "a #b"),
    *("'q'", '"d"', "{{ x }}", "{% raw %}{{{% endraw %}", "@x", "`x", "%x", "!x", "&x"),
    *("*x", "|", ">", "?", ":", ",", "[a]", "{a}", "a{b}", "/users/{id}", "$ref"),
    *("a\nb", "\t", "\u2028", "\x85", "\x7f", "\ufeff", "é😀", "x" * 1200),
]


def test_written_yaml_reads_back_as_the_same_data():
    data = {
        "mockserve": 1,
        "strings": TRICKY,
        "x" * 1100: {"": [], "e": {}, "nested": [[1, [2]], [], {}, {"a": [{"b": 1, "c": [1]}]}]},
        "numbers": [None, True, False, 0, -3, 1.5, 1e-05, 1e16, -0.0, 10**30, float("inf")],
        **{key: key for key in TRICKY if key},
    }
    text = dump_spec(data)
    source, problems = parse_source(text, "spec.yaml")
    assert not problems
    assert source.data == data


def test_plain_text_stays_plain():
    text = dump_spec({"routes": [{"method": "GET", "path": "/users/{id}", "response": {}}]})
    assert text == "routes:\n- method: GET\n  path: /users/{id}\n  response: {}\n"
    assert yaml.safe_load(text) == {
        "routes": [{"method": "GET", "path": "/users/{id}", "response": {}}]
    }


def test_a_written_spec_is_remembered_in_the_parse_cache(tmp_path, monkeypatch):
    from mockserve.spec import source
    from mockserve.spec.writer import write_spec

    monkeypatch.setattr(source, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("MOCKSERVE_CACHE_DIR", str(tmp_path / "cache"))
    data = {"mockserve": 1, "routes": [{"path": "/on", "response": {"json": {"yes": "no"}}}]}
    with open(tmp_path / "spec.yaml", "w", encoding="utf-8") as handle:
        write_spec(data, handle, header="# imported\n")
    text = (tmp_path / "spec.yaml").read_text("utf-8")
    assert text.startswith("# imported\nmockserve: 1\n")
    monkeypatch.setattr(source, "_parse_plain", lambda text: {"parsed": True})
    assert source.parse_source(text, "spec.yaml")[0].data == data  # from the cache
