"""Benchmark mockserve against a hand-written Flask app (same server) and WireMock.

    python benchmarks/run.py            # full run, a few minutes
    python benchmarks/run.py --quick    # 2 s per measurement

Scenarios: S1 static JSON GET; S2 templated GET with path and query; S3 POST with JSON
Schema validation; S4 a 1000-route spec, first and last route; S5 a `delay: 200` route
under 100 concurrent clients while another route is probed; plus time to first response
and memory (RSS) with the 1000-route spec. Not part of the test suite: figures depend on
the machine and on whatever else runs on it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The Order schema of the scenarios, so WireMock checks what mockserve checks.
ORDER_SCHEMA = yaml.safe_load((HERE / "scenarios.yaml").read_text())["schemas"]["Order"]
ROUTES = 1000
ORDER_BODY = '{"item": "book", "qty": 2}'
WIREMOCK_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mockserve-bench"


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


SCENARIOS = {
    "S1 static GET": Request("/static"),
    "S2 templated GET": Request("/users/42?verbose=1"),
    "S3 POST + schema": Request("/orders", "POST", ORDER_BODY),
}


# -- processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Target:
    """A server under test in its own process, ready once `probe` answers."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        port: int,
        probe: str,
        log: Path,
        env: dict[str, str] | None = None,
    ):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        self.log = open(log, "wb")
        self.process = subprocess.Popen(
            argv,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )
        self.first_response_s = self._wait(probe, started)

    def _wait(self, probe: str, started: float, limit: float = 90.0) -> float:
        while time.perf_counter() - started < limit:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see {self.log.name}"
                )
            try:
                with urllib.request.urlopen(self.url + probe, timeout=2) as answer:
                    answer.read()
                return time.perf_counter() - started
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"{self.name} did not answer {probe} within {limit:.0f} s")

    def rss_mb(self) -> float:
        """Resident memory of the server process (Linux /proc), in MB."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def mockserve_target(spec: Path, work: Path, probe: str, extra: list[str] = ()) -> Target:
    port = free_port()
    argv = [sys.executable, "-m", "mockserve", "run", str(spec), "--port", str(port), "-q", *extra]
    return Target(
        "mockserve",
        argv,
        port,
        probe,
        work / f"mockserve-{port}.log",
        env={
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        },
    )


def baseline_target(work: Path, probe: str, routes: int = 0) -> Target:
    port = free_port()
    argv = [sys.executable, str(HERE / "baseline_app.py"), "--port", str(port)]
    if routes:
        argv += ["--routes", str(routes)]
    return Target(
        "baseline",
        argv,
        port,
        probe,
        work / f"baseline-{port}.log",
        env={
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        },
    )


# -- load generation ------------------------------------------------------------------


def ensure_wrk() -> str | None:
    """wrk's path; installed with apt-get where missing and allowed (root on Debian)."""
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    print("wrk not found: apt-get install -y wrk ...", file=sys.stderr)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    if not shutil.which("wrk"):
        subprocess.run(
            ["apt-get", "update", "-qq"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    return shutil.which("wrk")


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
        host, port = url.removeprefix("http://").split(":")
        deadline = time.perf_counter() + self.duration
        latencies: list[list[float]] = [[] for _ in range(connections)]
        errors = [0] * connections
        body = request.body.encode() if request.body else None
        headers = {"Content-Type": "application/json"} if body else {}

        def worker(slot: int) -> None:
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
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
                    conn = http.client.HTTPConnection(host, int(port), timeout=10)
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


# -- WireMock -------------------------------------------------------------------------


def wiremock_jar() -> Path | None:
    """The jar from npm's `wiremock` package, installed into a cache folder once."""
    if not shutil.which("java"):
        return None
    folder = WIREMOCK_CACHE / "wiremock"
    jars = sorted(folder.glob("node_modules/wiremock/**/wiremock-standalone-*.jar"))
    if not jars and shutil.which("npm"):
        folder.mkdir(parents=True, exist_ok=True)
        print("installing WireMock (npm install wiremock) ...", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(folder), "wiremock"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        jars = sorted(folder.glob("node_modules/wiremock/**/wiremock-standalone-*.jar"))
    return jars[-1] if jars else None


def wiremock_scenario_stubs() -> list[dict]:
    """The scenarios of benchmarks/scenarios.yaml as WireMock stub mappings."""
    return [
        {
            "request": {"method": "GET", "url": "/static"},
            "response": {
                "status": 200,
                "jsonBody": {"status": "ok", "service": "bench", "items": [1, 2, 3]},
            },
        },
        {
            "request": {
                "method": "GET",
                "urlPathPattern": "/users/[0-9]+",
                "queryParameters": {"verbose": {"matches": "[01]"}},
            },
            "response": {
                "status": 200,
                "transformers": ["response-template"],
                "headers": {
                    "Content-Type": "application/json",
                    "X-User-Id": "{{request.path.[1]}}",
                },
                "body": '{"id":{{request.path.[1]}},"verbose":'
                "{{#eq request.query.verbose '1'}}true{{else}}false{{/eq}},"
                '"greeting":"hello user {{request.path.[1]}}"}',
            },
        },
        {
            "request": {
                "method": "POST",
                "url": "/orders",
                "headers": {"Content-Type": {"contains": "application/json"}},
                "bodyPatterns": [{"matchesJsonSchema": ORDER_SCHEMA}],
            },
            "response": {
                "status": 201,
                "transformers": ["response-template"],
                "headers": {"Content-Type": "application/json"},
                "body": '{"item":"{{jsonPath request.body \'$.item\'}}",'
                '"qty":{{jsonPath request.body \'$.qty\'}},"status":"accepted"}',
            },
        },
        {
            "request": {"method": "GET", "url": "/slow"},
            "response": {"status": 200, "fixedDelayMilliseconds": 200, "jsonBody": {"slow": True}},
        },
    ]


def wiremock_route_stubs(count: int) -> list[dict]:
    return [
        {
            "request": {"method": "GET", "url": f"/r{i:04d}/items"},
            "response": {"status": 200, "jsonBody": {"route": i, "status": "ok"}},
        }
        for i in range(count)
    ]


def wiremock_target(jar: Path, stubs: list[dict], work: Path, probe: str) -> Target:
    root = Path(tempfile.mkdtemp(prefix="wiremock-", dir=work))
    (root / "mappings").mkdir()
    (root / "__files").mkdir()
    for i, stub in enumerate(stubs):
        (root / "mappings" / f"{i:04d}.json").write_text(json.dumps(stub))
    port = free_port()
    # The journal is capped like mockserve's (1000 entries); delays served asynchronously.
    argv = [
        "java",
        "-jar",
        str(jar),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(root),
        "--disable-banner",
        "--max-request-journal-entries",
        "1000",
        "--async-response-enabled",
        "true",
        "--async-response-threads",
        "16",
        "--container-threads",
        "200",
    ]
    return Target("wiremock", argv, port, probe, work / f"wiremock-{port}.log")


# -- the runs -------------------------------------------------------------------------


def measure(
    targets: dict[str, Target],
    driver: Driver,
    label: str,
    request: Request,
    connections: int,
    figures: dict[str, dict],
) -> None:
    """One scenario on each target in turn, so that all see the same machine load.

    Each target gets a short warm-up run first (WireMock's JIT needs one); the best of
    the rounds counts.
    """
    warm = Driver(driver.wrk, max(1, round(driver.duration / 3)), driver.work)
    for name, target in targets.items():
        warm.run(target.url, request, connections)
        load = driver.run(target.url, request, connections)
        best = figures[name].get(label)
        if best is None or load.rps > best.rps:
            figures[name][label] = load
        print(f"  {name:9} {label:22} {load.rps:9,.0f} req/s", file=sys.stderr)


def measure_delay(target: Target, driver: Driver) -> dict[str, Load]:
    """S5: 100 clients on the delayed route while one more client asks /static."""
    busy = threading.Event()
    busy.set()
    probes: list[float] = []
    prober = threading.Thread(
        target=lambda: probes.extend(probe_while(target.url, "/static", busy))
    )
    prober.start()
    try:
        load = driver.run(target.url, Request("/slow"), 100)
    finally:
        busy.clear()
        prober.join()
    other = statistics.median(probes) if probes else float("nan")
    print(
        f"  {target.name:9} S5 {load.rps:,.0f} req/s; /static meanwhile p50 {other:.1f} ms",
        file=sys.stderr,
    )
    return {
        "S5 delay 200ms x100": load,
        "S5 other route": Load(float("nan"), other, max(probes or [float("nan")])),
    }


def write_routes_spec(path: Path, count: int) -> None:
    lines = ["mockserve: 1", f"title: {count} routes", "routes:"]
    for i in range(count):
        lines += [
            f"  - name: r{i:04d}",
            f"    path: /r{i:04d}/items",
            "    response:",
            f"      json: {{route: {i}, status: ok}}",
        ]
    path.write_text("\n".join(lines) + "\n")


def run_all(args: argparse.Namespace, work: Path) -> dict[str, dict]:
    wrk = None if args.python_load else ensure_wrk()
    driver = Driver(wrk, args.duration, work)
    print(
        f"load generator: {'wrk -t1' if wrk else 'python threads'}, {args.duration:g} s "
        f"per run, {args.connections} connections",
        file=sys.stderr,
    )
    jar = None if args.no_wiremock else wiremock_jar()
    if not args.no_wiremock and jar is None:
        print("WireMock skipped: needs java (and npm to fetch the jar)", file=sys.stderr)
    routes_spec = work / "routes1000.yaml"
    write_routes_spec(routes_spec, ROUTES)
    extra = ["--workers", str(args.workers)] if args.workers > 1 else []
    runs = [
        (
            "mockserve",
            lambda: mockserve_target(HERE / "scenarios.yaml", work, "/static", extra),
            lambda: mockserve_target(routes_spec, work, f"/r{ROUTES - 1:04d}/items", extra),
        ),
        (
            "baseline",
            lambda: baseline_target(work, "/static"),
            lambda: baseline_target(work, f"/r{ROUTES - 1:04d}/items", ROUTES),
        ),
    ]
    if jar is not None:
        runs.append(
            (
                "wiremock",
                lambda: wiremock_target(jar, wiremock_scenario_stubs(), work, "/static"),
                lambda: wiremock_target(
                    jar, wiremock_route_stubs(ROUTES), work, f"/r{ROUTES - 1:04d}/items"
                ),
            )
        )
    figures: dict[str, dict] = {name: {} for name, _, _ in runs}
    targets: dict[str, Target] = {}
    try:
        for name, scenarios, _ in runs:
            targets[name] = scenarios()
        for _ in range(args.rounds):
            for label, request in SCENARIOS.items():
                measure(targets, driver, label, request, args.connections, figures)
        for name, target in targets.items():
            figures[name].update(measure_delay(target, driver))
    finally:
        for target in targets.values():
            target.stop()
    targets = {}
    try:
        for name, _, routes in runs:  # one after the other: each starts on a quiet machine
            targets[name] = routes()
            figures[name]["TTFR (s)"] = targets[name].first_response_s
            figures[name]["RSS loaded (MB)"] = targets[name].rss_mb()
        for _ in range(args.rounds):
            for label, index in (
                ("S4 1000 routes, first", 0),
                ("S4 1000 routes, last", ROUTES - 1),
            ):
                measure(
                    targets,
                    driver,
                    label,
                    Request(f"/r{index:04d}/items"),
                    args.connections,
                    figures,
                )
        for name, target in targets.items():
            figures[name]["RSS after load (MB)"] = target.rss_mb()
    finally:
        for target in targets.values():
            target.stop()
    return figures


def ratio(a: Load | None, b: Load | None) -> str:
    if not isinstance(a, Load) or not isinstance(b, Load) or not b.rps or b.rps != b.rps:
        return "-"
    return f"{a.rps / b.rps:.2f}x"


def report(figures: dict[str, dict], args: argparse.Namespace) -> list[str]:
    names = list(figures)
    rows = [
        "S1 static GET",
        "S2 templated GET",
        "S3 POST + schema",
        "S4 1000 routes, first",
        "S4 1000 routes, last",
        "S5 delay 200ms x100",
    ]
    header = ["scenario"]
    for name in names:
        header += [f"{name} req/s", "p50 ms", "p99 ms"]
    header += [f"ms/{n}" for n in names[1:]]
    table = [header]
    for row in rows:
        cells = [row]
        for name in names:
            load = figures[name].get(row)
            cells += load.cells() if load else ["-", "-", "-"]
        cells += [ratio(figures["mockserve"].get(row), figures[n].get(row)) for n in names[1:]]
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in table
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    for name in names:
        f = figures[name]
        other = f.get("S5 other route")
        lines.append(
            f"{name:9}  1000-route spec: first response {f['TTFR (s)']:.2f} s, "
            f"RSS {f['RSS loaded (MB)']:.0f} MB loaded / "
            f"{f['RSS after load (MB)']:.0f} MB after load;  "
            f"/static during S5: p50 {other.p50_ms:.1f} ms, max {other.p99_ms:.1f} ms"
        )
    ms = figures["mockserve"]
    s1 = ms["S1 static GET"].rps
    ideal = 100 / 0.2
    lines += ["", "goals (mockserve):"]

    def goal(text: str, ok: bool) -> None:
        lines.append(f"  [{'ok' if ok else 'MISS'}] {text}")

    for row in rows[:3]:
        base = figures["baseline"][row].rps
        goal(f"{row}: {ms[row].rps / base:.2f}x baseline (>= 0.85)", ms[row].rps >= 0.85 * base)
        if "wiremock" in figures:
            wm = figures["wiremock"][row].rps
            goal(f"{row}: {ms[row].rps / wm:.2f}x WireMock (>= 1.0)", ms[row].rps >= wm)
    for row in rows[3:5]:
        goal(f"{row}: {ms[row].rps / s1:.2f}x S1 (within 10%)", ms[row].rps >= 0.9 * s1)
    s5 = ms["S5 delay 200ms x100"].rps
    goal(f"S5: {s5:.0f} req/s = {s5 / ideal:.0%} of ideal {ideal:.0f} (>= 80%)", s5 >= 0.8 * ideal)
    goal(f"1000-route spec first response {ms['TTFR (s)']:.2f} s (< 1 s)", ms["TTFR (s)"] < 1)
    goal(
        f"1000-route spec RSS {ms['RSS after load (MB)']:.0f} MB (< 100 MB)",
        ms["RSS after load (MB)"] < 100,
    )
    return lines


def largest_openapi_document() -> str:
    """Time to first answer and RSS of `mockserve run` on the corpus's largest document."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from openapi_start import find_corpus, measure

    corpus = find_corpus()
    if corpus is None:
        return "OpenAPI: corpus not found (shared/corpus/openapi beside the repository)"
    documents = [d for d in corpus.iterdir() if d.suffix in (".json", ".yaml")]
    largest = max(documents, key=lambda d: d.stat().st_size)
    took, rss, peak = measure(largest)
    size = largest.stat().st_size / 1e6
    return (
        f"OpenAPI: {largest.name} ({size:.0f} MB): first response {took:.2f} s after "
        f"start, RSS {rss} MB (peak {peak} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per measurement")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument(
        "--connections",
        "-c",
        type=int,
        default=16,
        help="concurrent connections for S1-S4 (default 16, as wrk -c16)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure each scenario this many times; the best counts",
    )
    parser.add_argument("--workers", type=int, default=1, help="mockserve run --workers N")
    parser.add_argument("--no-wiremock", action="store_true", help="skip WireMock")
    parser.add_argument(
        "--python-load",
        action="store_true",
        help="use the Python load generator even where wrk exists",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.quick:
        args.duration = 2.0
    with tempfile.TemporaryDirectory(prefix="mockserve-bench-") as folder:
        figures = run_all(args, Path(folder))
    print("\n".join(report(figures, args)))
    print(largest_openapi_document())
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    name: {k: (v.__dict__ if isinstance(v, Load) else v) for k, v in f.items()}
                    for name, f in figures.items()
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
