"""Check that a real backend still answers as the spec says (`mockserve verify`).

Each case is a request: a route's `examples`, or one generated from its contract. The
spec answers it first (in-process, through the same app `run` serves), then the backend;
they must agree on the status, the media type, the headers the spec's answer sets, and
the JSON shape: a schema inferred from the spec's answer (a lone template expression
counts as the type it renders, since the answer is rendered), or `response.schema`
when the spec declares one. Values are compared only with `verify: exact`.
"""

from .cases import Case, Outcome, Unreachable, cases
from .compare import declared_schemas, infer_schema, json_type, shape_differences
from .runner import Verifier, junit_xml

__all__ = [
    "Case",
    "Outcome",
    "Unreachable",
    "Verifier",
    "cases",
    "declared_schemas",
    "infer_schema",
    "json_type",
    "junit_xml",
    "shape_differences",
]
