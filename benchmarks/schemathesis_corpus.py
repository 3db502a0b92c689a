"""Schemathesis against mockserve serving the four small corpus documents.

How users judge the mock of their document: Schemathesis fuzzes the server from the
document itself (positive and negative data, every phase, a bearer credential so that
2xx answers are checked too) and reports each failure by its check's code. This prints
one line per document and code, and the server's own account of why a code that stays
is what the spec format asks for (see docs/openapi.md, "What Schemathesis reports").

    pip install schemathesis            # a judge, not a dependency of mockserve
    python benchmarks/schemathesis_corpus.py [--max-examples 20] [--corpus DIR]

Not part of the test suite: a run takes about a minute and its case count depends on
Schemathesis's version.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCUMENTS = (
    "oai-petstore-expanded.yaml",
    "swagger-petstore3.yaml",
    "apisguru-httpbin.json",
    "spotify-fixed.yaml",
)
FAILURE = re.compile(r"^\s*❌ (ST\d+) (.+?): (\d+)$")
CASES = re.compile(r"(\d+) generated")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_serving(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/__mockserve/health", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"mockserve did not answer on {url} within {timeout:.0f} s")


def judge(document: Path, examples: int, schemathesis: str) -> tuple[int, Counter[str], str]:
    """Serve one document, run Schemathesis on it; (cases, failures by code, output)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "mockserve", "run", str(document), "--port", str(port), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_serving(url)
        command = [
            schemathesis,
            "run",
            str(document),
            "--url",
            url,
            "--max-examples",
            str(examples),
            "--seed",
            "1",
            "-H",
            "Authorization: Bearer token",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    finally:
        server.terminate()
        server.wait(timeout=10)
    output = result.stdout + result.stderr
    failures: Counter[str] = Counter()
    for line in output.splitlines():
        if match := FAILURE.match(line):
            failures[f"{match[1]} {match[2]}"] += int(match[3])
    cases = CASES.search(output)
    return (int(cases[1]) if cases else 0), failures, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=HERE.parent.parent / "shared/corpus/openapi")
    parser.add_argument("--save", type=Path, help="write each document's full report here")
    args = parser.parse_args()
    schemathesis = shutil.which("schemathesis") or shutil.which(
        "schemathesis", path=str(Path(sys.executable).parent)
    )
    if schemathesis is None:
        raise SystemExit("schemathesis is not installed: pip install schemathesis")
    version = subprocess.run([schemathesis, "--version"], capture_output=True, text=True)
    print(f"{version.stdout.strip()}, --max-examples {args.max_examples}, --seed 1")
    print(f"{'document':<28} {'cases':>6}  failures")
    for name in DOCUMENTS:
        cases, failures, output = judge(args.corpus / name, args.max_examples, schemathesis)
        shown = ", ".join(f"{code}: {n}" for code, n in sorted(failures.items())) or "none"
        print(f"{name:<28} {cases:>6}  {shown}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{name}.txt").write_text(output)


if __name__ == "__main__":
    main()
