"""How long OpenAPI documents take to load: the distribution over a folder of documents.

    python benchmarks/load_times.py [FOLDER ...] [--limit 10] [--full]

Each document is loaded in a process of its own (as `mockserve run` loads it: routes
compiled on their first request; with --full, every route compiled and every body
generated, as `validate` and `import` do), killed after --limit seconds. The baseline,
measured in the same run: a process that only imports Flask, the floor of any start.
Prints one line per document (seconds, or TIMEOUT/ERROR) and the distribution: min,
median, 90th percentile, max, and how many took longer than the limit. Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_FOLDERS = [Path("/work/shared/corpus/openapi"), ROOT / "tests" / "specs" / "openapi"]
LOAD = (
    "import sys, time\n"
    "from mockserve.loading import load_spec\n"
    "started = time.perf_counter()\n"
    "spec = load_spec(sys.argv[1], lazy=sys.argv[2] == 'lazy')\n"
    "print(time.perf_counter() - started, len(spec.routes))\n"
)


def timed(code: str, *args: str, limit: float) -> tuple[float | None, str]:
    """Wall time of a Python process running `code` (None on timeout or error), and why."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=limit,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return None, "TIMEOUT"
    wall = time.perf_counter() - started
    if done.returncode != 0:
        return None, "ERROR " + (done.stderr.strip().splitlines() or ["?"])[-1][:80]
    if not done.stdout.strip():
        return wall, ""
    inside, routes = done.stdout.split()
    return wall, f"{float(inside):6.2f} s inside, {routes} routes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds before a kill")
    parser.add_argument("--full", action="store_true", help="compile every route at load")
    options = parser.parse_args()
    documents = sorted(
        path
        for folder in options.folders
        for path in folder.iterdir()
        if path.suffix in (".yaml", ".yml", ".json") and path.stat().st_size > 0
    )
    baseline, _ = timed("import flask", limit=60)
    print(f"baseline (a process importing flask): {baseline:.2f} s")
    mode = "full" if options.full else "lazy"
    times: list[float] = []
    over = 0
    for document in documents:
        wall, note = timed(LOAD, str(document), mode, limit=options.limit)
        size = document.stat().st_size / 1e6
        shown = f"{wall:6.2f} s" if wall is not None else "   --   "
        print(f"{shown}  {size:7.2f} MB  {document.name}  {note}")
        if wall is None or wall > options.limit:
            over += 1
        if wall is not None:
            times.append(wall)
    if times:
        ordered = sorted(times)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        print(
            f"\n{len(documents)} documents ({mode}): min {ordered[0]:.2f} s, "
            f"median {statistics.median(ordered):.2f} s, p90 {p90:.2f} s, "
            f"max {ordered[-1]:.2f} s; over {options.limit:g} s or failed: {over}; "
            f"baseline {baseline:.2f} s"
        )


if __name__ == "__main__":
    main()
