"""Load generation: wrk (or a slower Python client) driving one URL; its figures."""

from __future__ import annotations

import http.client
import importlib.util
import json
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Load:
    """One load run's figures."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0

    def cells(self) -> list[str]:
        mark = f" ({self.errors} err)" if self.errors else ""
        return [f"{self.rps:,.0f}{mark}", f"{self.p50_ms:.2f}", f"{self.p99_ms:.2f}"]


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    body: str | None = None


# -- load generation ------------------------------------------------------------------


def require_tools(python_load: bool) -> str | None:
    """wrk's path (None with --python-load); exit with how to install what is missing."""
    missing = []
    wrk = shutil.which("wrk")
    if wrk is None and not python_load:
        missing.append(
            "wrk (the load generator): apt-get install wrk (or brew install wrk); "
            "--python-load uses a slower Python one instead"
        )
    if importlib.util.find_spec("granian") is None:
        missing.append(
            f"granian (serves the Flask baseline; a benchmark-only requirement): "
            f"{sys.executable} -m pip install granian"
        )
    if missing:
        sys.exit("benchmarks/run.py needs:\n  " + "\n  ".join(missing))
    return None if python_load else wrk


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    """A wrk duration (`812.00us`, `3.21ms`, `1.02s`, `1.00m`) in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")


class Driver:
    """Drives a URL with wrk (-t1, like the issue's figures) or, without wrk, Python threads."""

    def __init__(self, wrk: str | None, duration: float, work: Path):
        self.wrk, self.duration, self.work = wrk, duration, work

    def run(self, url: str, request: Request, connections: int) -> Load:
        if self.wrk:
            return self._wrk(url, request, connections)
        return self._python(url, request, connections)

    def _wrk(self, url: str, request: Request, connections: int) -> Load:
        seconds = max(1, round(self.duration))  # wrk takes whole seconds
        argv = [self.wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
        if request.method != "GET":
            script = self.work / "post.lua"
            script.write_text(
                f"wrk.method = {json.dumps(request.method)}\n"
                f"wrk.body = {json.dumps(request.body or '')}\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
            )
            argv += ["-s", str(script)]
        out = subprocess.run(
            argv + [url + request.path], capture_output=True, text=True, check=True
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
        p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
        errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return Load(rps, p50, p99, errors + (int(bad.group(1)) if bad else 0))

    def _python(self, url: str, request: Request, connections: int) -> Load:
        """A plain keep-alive load generator: slower than wrk, so it caps high figures."""
        scheme, _, address = url.partition("://")
        host, port = address.split(":")
        deadline = time.perf_counter() + self.duration
        latencies: list[list[float]] = [[] for _ in range(connections)]
        errors = [0] * connections
        body = request.body.encode() if request.body else None
        headers = {"Content-Type": "application/json"} if body else {}

        def connect() -> http.client.HTTPConnection:
            if scheme == "https":  # like wrk: no verification
                return http.client.HTTPSConnection(
                    host, int(port), timeout=10, context=ssl._create_unverified_context()
                )
            return http.client.HTTPConnection(host, int(port), timeout=10)

        def worker(slot: int) -> None:
            conn = connect()
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    conn.request(request.method, request.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    answer.read()
                    if answer.status >= 400:
                        errors[slot] += 1
                except OSError:
                    errors[slot] += 1
                    conn.close()
                    conn = connect()
                    continue
                latencies[slot].append((time.perf_counter() - began) * 1000)
            conn.close()

        began = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.perf_counter() - began
        flat = sorted(x for slot in latencies for x in slot)
        if not flat:
            return Load(0.0, float("nan"), float("nan"), sum(errors))
        return Load(
            len(flat) / took, flat[len(flat) // 2], flat[int(len(flat) * 0.99)], sum(errors)
        )


def probe_while(url: str, path: str, busy: threading.Event, limit: int = 200) -> list[float]:
    """Latencies (ms) of one client asking `path` again and again while `busy` is set."""
    times: list[float] = []
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    while busy.is_set() and len(times) < limit:
        began = time.perf_counter()
        try:
            conn.request("GET", path)
            conn.getresponse().read()
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            continue
        times.append((time.perf_counter() - began) * 1000)
        time.sleep(0.02)
    conn.close()
    return times
