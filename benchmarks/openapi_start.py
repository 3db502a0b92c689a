"""Time to first answer and memory of `mockserve run` on each corpus document.

Usage: python benchmarks/openapi_start.py [CORPUS_DIR]  (run from the repository root)
Prints one line per document: seconds from process start to the first HTTP answer,
and the server's resident memory (VmRSS, VmHWM) once it answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory(pid: int) -> tuple[int, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def measure(document: Path) -> tuple[float, int, int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserve", "run", str(document), "--port", str(port), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = started + 60
        while time.perf_counter() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            except urllib.error.HTTPError:
                break  # any HTTP answer (404 too) means it serves
            except OSError:
                time.sleep(0.02)
                continue
            break
        took = time.perf_counter() - started
        rss, peak = memory(process.pid)
        return took, rss, peak
    finally:
        process.terminate()
        process.wait(10)


def find_corpus() -> Path | None:
    """shared/corpus/openapi beside the repository (or beside a folder above it)."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "corpus" / "openapi"
        if candidate.is_dir():
            return candidate
    return None


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else find_corpus()
    if corpus is None:
        sys.exit("shared/corpus/openapi not found; give its path")
    print(f"{'document':36s} {'MB':>5s} {'first answer':>12s} {'RSS MB':>7s} {'peak MB':>7s}")
    for document in sorted(corpus.glob("*.*")):
        if document.suffix not in (".json", ".yaml"):
            continue
        took, rss, peak = measure(document)
        size = document.stat().st_size / 1e6
        print(f"{document.name:36s} {size:5.1f} {took:11.2f}s {rss:7d} {peak:7d}")


if __name__ == "__main__":
    main()
