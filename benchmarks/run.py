"""Benchmark mockserve against a hand-written Flask app (waitress, granian) and WireMock.

    python benchmarks/run.py            # full run, about 8 minutes
    python benchmarks/run.py --quick    # 2 s per measurement, no long WireMock warm-up

Scenarios: S1 static JSON GET; S2 templated GET with path and query; S3 POST with JSON
Schema validation; S4 a 1000-route spec, first and last route; S5 a `delay: 200` route
under 100 concurrent clients while another route is probed; plus time to first response
and memory (RSS) with the 1000-route spec. S1-S3 are also measured over HTTPS: `mockserve
run --https` (cheroot) against the Flask app on granian with TLS. The Flask app runs on
waitress (mockserve's server) and on granian with one worker; WireMock after a short
warm-up and after a long one (its JIT). Needs wrk and granian (benchmark-only).
Not part of the test suite: figures depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
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
JIT_WARMUP = 30.0  # seconds of load on each scenario before WireMock's warm measurement


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
    """A server under test in its own process, ready once `probe` answers.

    With `tls` (a context trusting the server's CA) it is probed, and driven, over HTTPS.
    `long_warmup`: seconds of load before a scenario's first measurement (WireMock's JIT).
    """

    long_warmup = 0.0

    def __init__(
        self,
        name: str,
        argv: list[str],
        port: int,
        probe: str,
        log: Path,
        env: dict[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ):
        self.name, self.port, self.tls = name, port, tls
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
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
                url = self.url + probe
                with urllib.request.urlopen(url, timeout=2, context=self.tls) as answer:
                    answer.read()
                return time.perf_counter() - started
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"{self.name} did not answer {probe} within {limit:.0f} s")

    def rss_mb(self) -> float:
        """Resident memory of the server's processes (Linux /proc), in MB.

        The process and its descendants: granian serves from a worker process it spawns.
        """
        pids, total = [self.process.pid], 0
        for pid in pids:  # grows as children are found
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pids += [int(c) for c in (task / "children").read_text().split()]
        return total / 1024 if total else float("nan")

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


@dataclass
class Tls:
    """A throwaway CA's certificate for 127.0.0.1, served by both HTTPS targets."""

    cert: Path  # the chain, PEM
    key: Path  # PKCS#8 PEM: granian reads no other form
    context: ssl.SSLContext  # trusts the CA, for the readiness probe


def make_tls(work: Path) -> Tls:
    import trustme
    from cryptography.hazmat.primitives import serialization

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = work / "cert.pem", work / "key.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    private = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None)
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return Tls(cert, key, context)


def mockserve_https_target(spec: Path, work: Path, probe: str, tls: Tls) -> Target:
    """`mockserve run --https`: cheroot with the given certificate."""
    port = free_port()
    argv = [sys.executable, "-m", "mockserve", "run", str(spec), "--port", str(port), "-q"]
    argv += ["--https", "--cert", str(tls.cert), "--key", str(tls.key)]
    return Target(
        "mockserve-https",
        argv,
        port,
        probe,
        work / f"mockserve-https-{port}.log",
        env={
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        },
        tls=tls.context,
    )


def granian_target(
    work: Path, probe: str, threads: int, routes: int = 0, tls: Tls | None = None
) -> Target:
    """baseline_app.py's module-level WSGI app on granian, one worker process."""
    port = free_port()
    name = "granian-tls" if tls else "granian"
    argv = [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", "1"]
    argv += ["--blocking-threads", str(threads), "--no-ws", "--log-level", "error"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--working-dir", str(HERE)]
    if tls:
        argv += ["--ssl-certificate", str(tls.cert), "--ssl-keyfile", str(tls.key)]
    return Target(
        name,
        argv + ["baseline_app:app"],
        port,
        probe,
        work / f"{name}-{port}.log",
        env={"BASELINE_ROUTES": str(routes)},
        tls=tls.context if tls else None,
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


def wiremock_target(
    jar: Path, stubs: list[dict], work: Path, probe: str, name: str = "wiremock"
) -> Target:
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
    return Target(name, argv, port, probe, work / f"{name}-{port}.log")


# -- the runs -------------------------------------------------------------------------

# The columns, in the report's order: key (as in --json) and title.
TITLES = {
    "mockserve": "mockserve",
    "baseline": "Flask/waitress",
    "granian": "Flask/granian",
    "wiremock": "WireMock warm",
    "wiremock-short": "WireMock short",
    "mockserve-https": "mockserve HTTPS",
    "granian-tls": "Flask/granian TLS",
}
PLAIN = ["mockserve", "baseline", "granian", "wiremock", "wiremock-short"]


def measure(
    targets: dict[str, Target],
    driver: Driver,
    label: str,
    request: Request,
    connections: int,
    figures: dict[str, dict],
) -> None:
    """One scenario on each target in turn, so that all see the same machine load.

    Each target gets a short warm-up run first (a third of the measurement), or, before
    a scenario's first measurement, `long_warmup` seconds of load where it has one
    (WireMock's JIT compiles the hot paths after some tens of thousands of requests);
    the best of the rounds counts.
    """
    short = max(1, round(driver.duration / 3))
    for name, target in targets.items():
        warmup = short
        if target.long_warmup and label not in figures[name]:
            warmup = target.long_warmup
            print(f"  {name:15} {label:22} warming up for {warmup:g} s", file=sys.stderr)
        Driver(driver.wrk, warmup, driver.work).run(target.url, request, connections)
        load = driver.run(target.url, request, connections)
        best = figures[name].get(label)
        if best is None or load.rps > best.rps:
            figures[name][label] = load
        print(f"  {name:15} {label:22} {load.rps:9,.0f} req/s", file=sys.stderr)


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
        f"  {target.name:15} S5 {load.rps:,.0f} req/s; /static meanwhile p50 {other:.1f} ms",
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


@dataclass
class Contender:
    """A column: how to start it on the scenarios, and on the 1000-route spec (S4)."""

    name: str
    scenarios: Callable[[], Target]
    routes: Callable[[], Target] | None = None  # None: S1-S3 only (the HTTPS columns)
    long_warmup: float = 0.0
    delay: bool = True  # measured on S5


def contenders(args: argparse.Namespace, work: Path) -> list[Contender]:
    jar = None if args.no_wiremock else wiremock_jar()
    if not args.no_wiremock and jar is None:
        print("WireMock skipped: needs java (and npm to fetch the jar)", file=sys.stderr)
    routes_spec = work / "routes1000.yaml"
    write_routes_spec(routes_spec, ROUTES)
    last = f"/r{ROUTES - 1:04d}/items"
    spec = HERE / "scenarios.yaml"
    extra = ["--workers", str(args.workers)] if args.workers > 1 else []
    threads = args.granian_threads
    tls = make_tls(work)
    runs = [
        Contender(
            "mockserve",
            lambda: mockserve_target(spec, work, "/static", extra),
            lambda: mockserve_target(routes_spec, work, last, extra),
        ),
        Contender(
            "baseline",
            lambda: baseline_target(work, "/static"),
            lambda: baseline_target(work, last, ROUTES),
        ),
        Contender(
            "granian",
            lambda: granian_target(work, "/static", threads),
            lambda: granian_target(work, last, threads, ROUTES),
        ),
    ]
    if jar is not None:
        scenario_stubs, route_stubs = wiremock_scenario_stubs(), wiremock_route_stubs(ROUTES)
        if args.jit_warmup:
            runs.append(
                Contender(
                    "wiremock",
                    lambda: wiremock_target(jar, scenario_stubs, work, "/static"),
                    lambda: wiremock_target(jar, route_stubs, work, last),
                    long_warmup=args.jit_warmup,
                )
            )
        runs.append(  # its own JVM, so that no other scenario's load has warmed it
            Contender(
                "wiremock-short",
                lambda: wiremock_target(jar, scenario_stubs, work, "/static", "wiremock-short"),
                lambda: wiremock_target(jar, route_stubs, work, last, "wiremock-short"),
                delay=not args.jit_warmup,  # S5 waits on its delay: one WireMock is enough
            )
        )
    runs += [
        Contender("mockserve-https", lambda: mockserve_https_target(spec, work, "/static", tls)),
        Contender("granian-tls", lambda: granian_target(work, "/static", threads, tls=tls)),
    ]
    return runs


def run_all(args: argparse.Namespace, work: Path) -> dict[str, dict]:
    wrk = require_tools(args.python_load)
    driver = Driver(wrk, args.duration, work)
    print(
        f"load generator: {'wrk -t1' if wrk else 'python threads'}, {args.duration:g} s "
        f"per run, {args.connections} connections",
        file=sys.stderr,
    )
    if args.jit_warmup:
        print(f"WireMock warm: {args.jit_warmup:g} s of load per scenario first", file=sys.stderr)
    else:
        print("WireMock: long warm-up skipped, short warm-up only", file=sys.stderr)
    runs = contenders(args, work)
    figures: dict[str, dict] = {run.name: {} for run in runs}
    targets: dict[str, Target] = {}
    try:
        for run in runs:
            targets[run.name] = run.scenarios()
            targets[run.name].long_warmup = run.long_warmup
        for _ in range(args.rounds):
            for label, request in SCENARIOS.items():
                measure(targets, driver, label, request, args.connections, figures)
        for run in runs:
            if run.delay and run.routes is not None:
                figures[run.name].update(measure_delay(targets[run.name], driver))
    finally:
        for target in targets.values():
            target.stop()
    targets = {}
    try:
        for run in runs:  # one after the other: each starts on a quiet machine
            if run.routes is None:
                continue
            targets[run.name] = run.routes()
            targets[run.name].long_warmup = run.long_warmup
            figures[run.name]["TTFR (s)"] = targets[run.name].first_response_s
            figures[run.name]["RSS loaded (MB)"] = targets[run.name].rss_mb()
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


def cell(load: Load | None) -> str:
    """req/s (p50/p99 ms)."""
    if not isinstance(load, Load):
        return "-"
    mark = f", {load.errors} err" if load.errors else ""
    return f"{load.rps:,.0f} ({load.p50_ms:.2f}/{load.p99_ms:.2f}{mark})"


def table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return lines


ROWS = [
    "S1 static GET",
    "S2 templated GET",
    "S3 POST + schema",
    "S4 1000 routes, first",
    "S4 1000 routes, last",
    "S5 delay 200ms x100",
]


def report(figures: dict[str, dict], args: argparse.Namespace) -> list[str]:
    plain = [n for n in PLAIN if n in figures]
    others = plain[1:]
    ms = figures["mockserve"]
    lines = ["plain HTTP: req/s (p50/p99 ms)"]
    lines += table(
        [["scenario", *(TITLES[n] for n in plain)]]
        + [[row, *(cell(figures[n].get(row)) for n in plain)] for row in ROWS]
    )
    lines += ["", "mockserve / each of the others (req/s)"]
    lines += table(
        [["scenario", *(f"/{TITLES[n]}" for n in others)]]
        + [[row, *(ratio(ms.get(row), figures[n].get(row)) for n in others)] for row in ROWS]
    )
    https, tls = figures["mockserve-https"], figures["granian-tls"]
    lines += ["", "HTTPS (`run --https`, cheroot): req/s (p50/p99 ms)"]
    lines += table(
        [["scenario", TITLES["mockserve-https"], TITLES["granian-tls"], "ratio", "/plain"]]
        + [
            [row, cell(https.get(row)), cell(tls.get(row)), ratio(https.get(row), tls.get(row))]
            + [ratio(https.get(row), ms.get(row))]
            for row in ROWS[:3]
        ]
    )
    lines.append("")
    if "wiremock" in figures:
        lines.append(
            f"WireMock warm: measured after {args.jit_warmup:g} s of load on each scenario; "
            f"WireMock short: a fresh JVM, {max(1, round(args.duration / 3))} s warm-up."
        )
    elif "wiremock-short" in figures:
        lines.append(
            "WireMock: long (JIT) warm-up skipped (--quick or --jit-warmup 0): only the "
            f"short-warm-up figure; a full run warms it {JIT_WARMUP:g} s per scenario."
        )
    lines.append(
        f"Flask/granian: baseline_app.py on granian, 1 worker, "
        f"{args.granian_threads} blocking threads."
    )
    for name in plain:
        f = figures[name]
        if "TTFR (s)" not in f:
            continue
        line = (
            f"{name:15} 1000-route spec: first response {f['TTFR (s)']:.2f} s, "
            f"RSS {f['RSS loaded (MB)']:.0f} MB loaded / "
            f"{f['RSS after load (MB)']:.0f} MB after load"
        )
        other = f.get("S5 other route")
        if other:
            line += f";  /static during S5: p50 {other.p50_ms:.1f} ms, max {other.p99_ms:.1f} ms"
        lines.append(line)
    s1 = ms["S1 static GET"].rps
    ideal = 100 / 0.2
    lines += ["", "goals (mockserve):"]

    def goal(text: str, ok: bool) -> None:
        lines.append(f"  [{'ok' if ok else 'MISS'}] {text}")

    wiremock = "wiremock" if "wiremock" in figures else "wiremock-short"
    for row in ROWS[:3]:
        for name in ("granian", "baseline"):
            base = figures[name][row].rps
            goal(
                f"{row}: {ms[row].rps / base:.2f}x {TITLES[name]} (>= 0.85)",
                ms[row].rps >= 0.85 * base,
            )
        if wiremock in figures:
            wm = figures[wiremock][row].rps
            goal(f"{row}: {ms[row].rps / wm:.2f}x {TITLES[wiremock]} (>= 1.0)", ms[row].rps >= wm)
    for row in ROWS[3:5]:
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
    with tempfile.TemporaryDirectory() as cache:  # a first start: no parse cache yet
        took, rss, peak = measure(largest, Path(cache))
    size = largest.stat().st_size / 1e6
    return (
        f"OpenAPI: {largest.name} ({size:.0f} MB): first response {took:.2f} s after "
        f"start, RSS {rss} MB (peak {peak} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 s per measurement, and no long WireMock warm-up unless --jit-warmup says",
    )
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
    parser.add_argument(
        "--granian-threads",
        type=int,
        default=128,
        metavar="N",
        help="granian --blocking-threads for the Flask baseline (default 128, as waitress)",
    )
    parser.add_argument(
        "--jit-warmup",
        type=float,
        metavar="S",
        help=f"seconds of load on each scenario before WireMock's warm measurement "
        f"(default {JIT_WARMUP:g}; 0 with --quick); 0 measures only the short warm-up",
    )
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
    if args.jit_warmup is None:
        args.jit_warmup = 0.0 if args.quick else JIT_WARMUP
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
