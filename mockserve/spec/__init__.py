"""The spec: its format's schema, the loader and the frozen model.

`mockserve.loading.load_spec` is the entry point that also takes OpenAPI documents.
"""

from .format import format_schema
from .model import Route, Spec

__all__ = ["Route", "Spec", "format_schema"]
