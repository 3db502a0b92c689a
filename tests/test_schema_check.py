"""The quick metaschema proof agrees with jsonschema: True only for schemas it accepts.

`surely_valid` lets a large spec skip jsonschema's slow `check_schema` for ordinary
schemas; anything it is unsure of goes to `check_schema`, which gives the verdict and
the message. A True for a schema the metaschema rejects would weaken `validate`.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from mockserve.spec.metaschema import surely_valid

ORDER = {
    "type": "object",
    "required": ["id", "lines"],
    "properties": {
        "id": {"type": "integer", "minimum": 1, "examples": [3]},
        "lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/schemas/Line"}},
        "note": {"type": ["string", "null"], "maxLength": 200, "pattern": "^[^<>]*$"},
        "extra": {"x-internal": True, "anyOf": [{"const": 1}, {"enum": ["a", None]}]},
    },
    "additionalProperties": False,
    "patternProperties": {"^x-": True},
}


@pytest.mark.parametrize(
    "schema, surely",
    [
        (ORDER, True),
        (True, True),
        ({}, True),
        ({"description": "any", "x-vendor": {"type": 5}}, True),  # not a keyword: free
        ({"type": "strin"}, False),
        ({"type": ["string", "string"]}, False),
        ({"type": []}, False),
        ({"minimum": "1"}, False),
        ({"minimum": True}, False),
        ({"maxLength": -1}, False),
        ({"maxLength": 1.0}, False),  # valid (an integer written as 1.0): jsonschema decides
        ({"pattern": "(a"}, False),
        ({"patternProperties": {"(a": {}}}, False),
        ({"required": ["a", "a"]}, False),
        ({"required": "a"}, False),
        ({"multipleOf": 0}, False),
        ({"allOf": []}, False),
        ({"properties": {"a": {"type": "strin"}}}, False),
        ({"items": {"items": {"enum": 5}}}, False),
        ({"examples": 3}, False),
        ({"$id": "https://example.com/s"}, False),  # valid, but left to jsonschema
        ({"dependencies": {"a": ["b"]}}, False),
        (5, False),
    ],
)
def test_surely_valid_agrees_with_the_metaschema(schema, surely):
    assert surely_valid(schema) is surely
    try:
        Draft202012Validator.check_schema(schema)
        valid = True
    except SchemaError:
        valid = False
    if surely:
        assert valid
