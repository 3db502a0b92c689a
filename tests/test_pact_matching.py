"""The Pact matcher, judged by the Pact specification's own match cases (versions 1-4).

Each case file of `shared/corpus/pact-specification` is one test: its `expected` part is
read as an interaction of that version, its `actual` part as what was received, and the
matcher must say "match" exactly when the case does. Cases outside the format's Pact
section (XML bodies) are listed in `LEFT_OUT` with the reason, never silently dropped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pact_corpus import VERSIONS, all_cases, case_id, cases, left_out, load_case, version_of

from mockserve.pact.matching import match_request, match_response
from mockserve.pact.parts import read_request, read_response

CASES = cases()
LEFT_OUT = {case: why for case in all_cases() if (why := left_out(case)) is not None}


def judge(case: Path) -> tuple[bool, list]:
    """The matcher's verdict on a case: (matched, mismatches)."""
    data = load_case(case)
    version = version_of(case)
    if case.parts[-3] == "request":
        expected, actual = (
            read_request(data["expected"], version),
            read_request(data["actual"], version),
        )
        found = match_request(expected, actual, version)
    else:
        expected_r = read_response(data["expected"], version)
        actual_r = read_response(data["actual"], version)
        found = match_response(expected_r, actual_r)
    return not found, found


def test_the_corpus_is_there() -> None:
    assert len(all_cases()) == 644, "the Pact specification's cases are missing"
    assert {version_of(case) for case in CASES} == set(VERSIONS)
    assert len(CASES) + len(LEFT_OUT) == 644


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_specification_case(case: Path) -> None:
    data = load_case(case)
    matched, found = judge(case)
    assert matched is data["match"], f"{data['comment']}: mismatches {[str(m) for m in found]}"


# -- each rule of the format's Pact section, beyond what the specification's cases cover --


def _v4_request(body: object, rules: dict) -> dict:
    return {
        "method": "POST",
        "path": "/",
        "headers": {"Content-Type": "application/json"},
        "body": {"content": body, "contentType": "application/json"},
        "matchingRules": {"body": {path: {"matchers": m} for path, m in rules.items()}},
    }


def _mismatches(body: object, rules: dict, actual: object) -> list[str]:
    expected = read_request(_v4_request(body, rules), 4)
    received = read_request(_v4_request(actual, {}), 4)
    return [m.where for m in match_request(expected, received, 4)]


RULE_CASES = [
    # (rule, expected body, rules by path, actual body, mismatch paths)
    ("type", {"id": 7}, {"$.id": [{"match": "type"}]}, {"id": 8}, []),
    ("type", {"id": 7}, {"$.id": [{"match": "type"}]}, {"id": "8"}, ["$.id"]),
    ("min", {"ids": [1]}, {"$.ids": [{"match": "type", "min": 2}]}, {"ids": [1]}, ["$.ids"]),
    ("max", {"ids": [1]}, {"$.ids": [{"match": "type", "max": 2}]}, {"ids": [1, 2, 3]}, ["$.ids"]),
    (
        "min each",
        {"ids": [1]},
        {"$.ids": [{"match": "type", "min": 1}]},
        {"ids": [1, "x"]},
        ["$.ids[1]"],
    ),
    (
        "regex",
        {"at": "10:00"},
        {"$.at": [{"match": "regex", "regex": r"\d\d:\d\d"}]},
        {"at": "9:00"},
        ["$.at"],
    ),
    (
        "include",
        {"s": "hello"},
        {"$.s": [{"match": "include", "value": "ell"}]},
        {"s": "yellow"},
        [],
    ),
    (
        "include",
        {"s": "hello"},
        {"$.s": [{"match": "include", "value": "ell"}]},
        {"s": "hi"},
        ["$.s"],
    ),
    ("integer", {"n": 1}, {"$.n": [{"match": "integer"}]}, {"n": 100}, []),
    ("integer", {"n": 1}, {"$.n": [{"match": "integer"}]}, {"n": 1.5}, ["$.n"]),
    ("decimal", {"n": 1.5}, {"$.n": [{"match": "decimal"}]}, {"n": 2.25}, []),
    ("decimal", {"n": 1.5}, {"$.n": [{"match": "decimal"}]}, {"n": 2}, ["$.n"]),
    ("number", {"n": 1}, {"$.n": [{"match": "number"}]}, {"n": 2.5}, []),
    ("number", {"n": 1}, {"$.n": [{"match": "number"}]}, {"n": True}, ["$.n"]),
    ("boolean", {"b": True}, {"$.b": [{"match": "boolean"}]}, {"b": False}, []),
    ("boolean", {"b": True}, {"$.b": [{"match": "boolean"}]}, {"b": 0}, ["$.b"]),
    ("null", {"x": None}, {"$.x": [{"match": "null"}]}, {"x": None}, []),
    ("null", {"x": None}, {"$.x": [{"match": "null"}]}, {"x": 0}, ["$.x"]),
    (
        "date",
        {"d": "2024-01-31"},
        {"$.d": [{"match": "date", "format": "yyyy-MM-dd"}]},
        {"d": "2025-02-28"},
        [],
    ),
    (
        "date",
        {"d": "2024-01-31"},
        {"$.d": [{"match": "date", "format": "yyyy-MM-dd"}]},
        {"d": "2025-02-30"},
        ["$.d"],
    ),
    ("time", {"t": "10:00"}, {"$.t": [{"match": "time", "format": "HH:mm"}]}, {"t": "23:59"}, []),
    (
        "time",
        {"t": "10:00"},
        {"$.t": [{"match": "time", "format": "HH:mm"}]},
        {"t": "24:61"},
        ["$.t"],
    ),
    (
        "timestamp",
        {"at": "2024-01-31T10:00:00Z"},
        {"$.at": [{"match": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ssXXX"}]},
        {"at": "2025-06-01T08:30:00+02:00"},
        [],
    ),
    (
        "timestamp",
        {"at": "2024-01-31T10:00:00Z"},
        {"$.at": [{"match": "timestamp"}]},
        {"at": "yesterday"},
        ["$.at"],
    ),
    (
        "equality",
        {"a": {"b": 1}},
        {"$": [{"match": "type"}], "$.a.b": [{"match": "equality"}]},
        {"a": {"b": 2}},
        ["$.a.b"],
    ),
    ("values", {"m": {"a": 1}}, {"$.m": [{"match": "values"}]}, {"m": {"x": 1, "y": 1}}, []),
    ("values", {"m": {"a": 1}}, {"$.m": [{"match": "values"}]}, {"m": {"x": 1, "y": 2}}, ["$.m.y"]),
    (
        "eachKey",
        {"m": {"ab": 1}},
        {"$.m": [{"match": "eachKey", "rules": [{"match": "regex", "regex": "[a-z]+"}]}]},
        {"m": {"cd": 1}},
        [],
    ),
    (
        "eachKey",
        {"m": {"ab": 1}},
        {"$.m": [{"match": "eachKey", "rules": [{"match": "regex", "regex": "[a-z]+"}]}]},
        {"m": {"C1": 1}},
        ["$.m"],
    ),
    (
        "eachValue",
        {"m": {"a": 1}},
        {"$.m": [{"match": "eachValue", "rules": [{"match": "type"}]}]},
        {"m": {"x": 2, "y": 3}},
        [],
    ),
    (
        "eachValue",
        {"m": {"a": 1}},
        {"$.m": [{"match": "eachValue", "rules": [{"match": "type"}]}]},
        {"m": {"x": 2, "y": "3"}},
        ["$.m.y"],
    ),
    (
        "eachValue list",
        {"l": ["a"]},
        {"$.l": [{"match": "eachValue", "rules": [{"match": "regex", "regex": "[a-z]"}]}]},
        {"l": ["b", "C"]},
        ["$.l[1]"],
    ),
    (
        "arrayContains",
        {"l": [{"k": "a"}]},
        {
            "$.l": [
                {
                    "match": "arrayContains",
                    "variants": [
                        {
                            "index": 0,
                            "rules": {"$.k": {"matchers": [{"match": "regex", "regex": "[a-z]"}]}},
                        }
                    ],
                }
            ]
        },
        {"l": [{"k": "Z"}, {"k": "q"}]},
        [],
    ),
    (
        "arrayContains",
        {"l": [{"k": "a"}]},
        {
            "$.l": [
                {
                    "match": "arrayContains",
                    "variants": [
                        {
                            "index": 0,
                            "rules": {"$.k": {"matchers": [{"match": "regex", "regex": "[a-z]"}]}},
                        }
                    ],
                }
            ]
        },
        {"l": [{"k": "Z"}]},
        ["$.l"],
    ),
    (
        "no rule: values equal",
        {"items": [{"id": 1}]},
        {},
        {"items": [{"id": 2}]},
        ["$.items[0].id"],
    ),
    ("no rule: no unexpected key in a request", {"a": 1}, {}, {"a": 1, "b": 2}, ["$"]),
    ("odd keys written as Pact does", {"a b": 1}, {}, {"a b": 2}, ["$['a b']"]),
]


@pytest.mark.parametrize(
    ("rule", "body", "rules", "actual", "paths"),
    RULE_CASES,
    ids=[f"{c[0]}-{'ok' if not c[4] else 'mismatch'}-{i}" for i, c in enumerate(RULE_CASES)],
)
def test_rule(rule: str, body: object, rules: dict, actual: object, paths: list[str]) -> None:
    assert _mismatches(body, rules, actual) == paths


def test_or_combines_matchers() -> None:
    request = _v4_request({"n": 1}, {})
    request["matchingRules"] = {
        "body": {"$.n": {"combine": "OR", "matchers": [{"match": "null"}, {"match": "integer"}]}}
    }
    expected = read_request(request, 4)
    for value, ok in ((None, True), (3, True), ("3", False)):
        found = match_request(expected, read_request(_v4_request({"n": value}, {}), 4), 4)
        assert (not found) is ok, value


def test_version_2_paths_name_body_headers_query_and_path() -> None:
    expected = read_request(
        {
            "method": "GET",
            "path": "/users/1",
            "query": "page=1",
            "headers": {"X-Id": "abc"},
            "body": {"id": 1},
            "matchingRules": {
                "$.path": {"regex": r"/users/\d+"},
                "$.query.page": {"match": "regex", "regex": r"\d+"},
                "$.headers.X-Id": {"match": "regex", "regex": "[a-z]+"},
                "$.body.id": {"match": "type"},
            },
        },
        2,
    )
    ok = read_request(
        {
            "method": "GET",
            "path": "/users/42",
            "query": "page=9",
            "headers": {"x-id": "zz"},
            "body": {"id": 5},
        },
        2,
    )
    assert match_request(expected, ok, 2) == []
    bad = read_request(
        {
            "method": "GET",
            "path": "/users/x",
            "query": "page=a",
            "headers": {"X-Id": "1"},
            "body": {"id": "5"},
        },
        2,
    )
    assert [m.where for m in match_request(expected, bad, 2)] == [
        "path",
        "$.query.page",
        "$.headers.X-Id",
        "$.id",
    ]


def test_form_bodies_are_compared_as_parameters() -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def request(body: str, rules: dict | None = None) -> object:
        part = {"method": "POST", "path": "/", "headers": form, "body": body}
        if rules:
            part["matchingRules"] = {"body": rules}
        return read_request(part, 3)

    expected = request("a=1&b=x", {"$.b": {"matchers": [{"match": "regex", "regex": "[a-z]"}]}})
    assert match_request(expected, request("b=y&a=1"), 3) == []
    assert [m.where for m in match_request(expected, request("a=2&b=y"), 3)] == ["$.a[0]"]
    assert [m.where for m in match_request(expected, request("a=1&b=Y"), 3)] == ["$.b[0]"]
