"""Time `mockserve import` of a generated 1,000-request Postman collection (target: under 5 s).

Each request has two saved examples differing in a query parameter, so the import does
the whole job: variables, `when` branches, merging, writing, and loading the result.
The baseline is `python -c 'import flask'` measured in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def collection(requests: int) -> dict:
    items = []
    for index in range(requests):

        def example(status: str, code: int, index: int = index) -> dict:
            return {
                "name": status,
                "originalRequest": {
                    "method": "GET",
                    "url": {"raw": f"{{{{base}}}}/things/{index}?status={status}",
                            "path": ["things", str(index)],
                            "query": [{"key": "status", "value": status}]},
                },
                "code": code,
                "header": [{"key": "Content-Type", "value": "application/json"}],
                "body": json.dumps({"id": index, "status": status, "tags": ["a", "b"]}),
            }  # fmt: skip

        items.append({
            "name": f"thing {index}",
            "request": {"method": "GET", "url": f"{{{{base}}}}/things/{index}"},
            "response": [example("open", 200), example("gone", 404)],
        })  # fmt: skip
    return {
        "info": {
            "name": "bench",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/",
        },
        "variable": [{"key": "base", "value": "http://localhost"}],
        "item": [{"name": "folder", "item": items}],
    }


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "collection.json"
        source.write_text(json.dumps(collection(1000)))
        baseline = min(timed([sys.executable, "-c", "import flask"]) for _ in range(3))
        command = [sys.executable, "-m", "mockserve", "import", str(source), "-o",
                   str(Path(folder) / "spec.yaml")]  # fmt: skip
        runs = [timed(command) for _ in range(3)]
    best = min(runs)
    print(f"python -c 'import flask': {baseline:.2f} s")
    shown = ", ".join(f"{r:.2f}" for r in runs)
    print(f"import of 1,000 Postman requests (2,000 examples): best {best:.2f} s of {shown}")
    print(f"that is {best / baseline:.1f}x the baseline")


if __name__ == "__main__":
    main()
