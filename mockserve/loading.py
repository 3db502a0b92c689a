"""One entry point for every file mockserve serves: a spec, an OpenAPI document, a pact.

It reads the main file once, tells by its content what it is, and hands it to the
builder of that kind. It sits above `spec/` and the foreign formats (`openapi/`), which
both build the same frozen `Spec`, so neither has to know the other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import SpecError
from .pact.reader import is_pact
from .spec.loader import Loader, paused_gc
from .spec.model import Spec


def document_kind(data: Any) -> str:
    """What a parsed main file is: `openapi`, `pact` or `spec` (mockserve's own format)."""
    if isinstance(data, dict) and "mockserve" not in data and "openapi" in data:
        return "openapi"
    if isinstance(data, dict) and "mockserve" not in data and is_pact(data):
        return "pact"
    return "spec"


def load_spec(
    path: str | os.PathLike[str],
    *,
    seed: int | None = None,
    lazy: bool = False,
    edited: Mapping[Path, str] | None = None,
) -> Spec:
    """Load, check and compile a spec or OpenAPI document; raise SpecError listing every problem.

    `lazy` is for serving: an OpenAPI document's routes then compile on their first
    request. A spec in mockserve's format is always checked and compiled whole. `edited`:
    files' texts (by resolved path) as an edit would leave them, checked before it is written.
    """
    with paused_gc():
        loader = Loader(path, seed=seed, lazy=lazy, edited=edited)
        source = loader.read_main()
        if source is None:
            raise SpecError(loader.problems)
        kind = document_kind(source.data)
        if kind == "openapi":
            from .openapi import spec_from_openapi  # noqa: PLC0415 - only for OpenAPI documents

            return spec_from_openapi(source, loader)
        if kind == "pact":
            from .pact.routes import spec_from_pact  # noqa: PLC0415 - only for pact files

            return spec_from_pact(source, seed=seed)
        return loader.build(source)
