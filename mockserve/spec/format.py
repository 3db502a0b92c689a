"""The format's own JSON Schema, and its errors as located, readable problems.

The first of the loader's two checks: the schema says what keys and shapes a spec
may have, and jsonschema's errors become `FILE:LINE:COL: WHERE: WHAT` with a hint.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources as importlib_resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ..errors import SpecProblem
from .source import SourceFile


@lru_cache(maxsize=1)
def format_schema() -> dict[str, Any]:
    """The format's own JSON Schema, as shipped in the package."""
    text = importlib_resources.files("mockserve.spec").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=2)
def format_validator(part: str | None) -> Draft202012Validator:
    """A validator for the whole format, or for one of its parts (an included file's)."""
    schema = format_schema()
    if part:
        schema = {**schema["$defs"][part], "$defs": schema["$defs"]}
    return Draft202012Validator(schema)


def problems_from(error: ValidationError, source: SourceFile) -> list[SpecProblem]:
    """Turn one format-schema error into a located, readable problem."""
    schema: Any = error.schema  # the format's own schema: always an object here
    if (
        error.validator in ("anyOf", "oneOf")
        and "x-message" in schema
        and isinstance(error.instance, str)
    ):
        # Text that fits no alternative reads badly as each branch's failure; the schema
        # says what it accepts in words. (A number out of range keeps its precise message.)
        return [
            source.problem(tuple(error.absolute_path), f"{error.instance!r} {schema['x-message']}")
        ]
    if error.context:
        deepest = best_match(error.context, key=lambda e: -len(e.path))
        if deepest is not None and len(deepest.absolute_path) > len(error.absolute_path):
            return problems_from(deepest, source)
        # The alternative whose type fits knows best what is wrong (2000: above 599).
        fitting = [e for e in error.context if e.validator != "type" and not e.context]
        if len(fitting) == 1:
            return problems_from(fitting[0], source)
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        problems = []
        for key in error.instance:
            if key in allowed:
                continue
            message = f"unknown key {key!r}"
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            elif allowed:
                message += f" (allowed: {', '.join(sorted(allowed))})"
            problems.append(source.problem(path + (key,), message, key=True))
        return problems
    if error.validator == "propertyNames":
        return [
            source.problem(
                path + (error.instance,),
                f"{error.instance!r} is not allowed here: " + error.message.split(" is ", 1)[-1],
                key=True,
            )
        ]
    message = error.message
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        article = "an" if str(expected)[0] in "aeiou" else "a"
        message = f"{error.instance!r} is not {article} {expected}"
    elif error.validator == "required":
        message = error.message.replace("is a required property", "is required")
        if not path and "'mockserve'" in error.message:
            message = (
                "'mockserve: 1' is missing: every spec starts with it (a file listed in "
                "another spec's `include` is checked through that spec)"
            )
    return [source.problem(path, message)]
