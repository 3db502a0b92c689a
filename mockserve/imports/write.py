"""Writing an import: the spec and its fixtures, left behind only when the spec loads."""

from __future__ import annotations

from pathlib import Path

from ..loading import load_spec
from ..spec.model import Spec
from ..spec.writer import dump_spec, write_atomic
from .common import Imported


def imported_text(imported: Imported, label: str, kind: str) -> str:
    """The spec's YAML, with a header naming the source and a comment on each route."""
    header = (
        f"# mockserve spec imported from {label} ({kind}) by `mockserve import`.\n"
        "# Each route's comment says where in the source it came from.\n"
    )
    return header + dump_spec(imported.data, comments=imported.comments, readable=True)


def write_imported(imported: Imported, label: str, kind: str, target: Path) -> Spec:
    """Write the fixtures, check that the spec loads as it will be written, then write it.

    A SpecError (the spec would not load) or an OSError leaves nothing behind.
    """
    text = imported_text(imported, label, kind)
    written: list[Path] = []
    try:
        for name, data in imported.fixtures.items():
            fixture = target.resolve().parent / name
            fixture.parent.mkdir(parents=True, exist_ok=True)
            fixture.write_bytes(data)
            written.append(fixture)
        spec = load_spec(target, edited={target.resolve(): text})
        write_atomic(target, text)
    except BaseException:
        for fixture in written:
            fixture.unlink(missing_ok=True)
        raise
    return spec
