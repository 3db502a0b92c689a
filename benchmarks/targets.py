"""The servers a benchmark run measures, each in its own process: start, probe, stop."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The Order schema of the scenarios, so WireMock checks what mockserve checks.
ORDER_SCHEMA = yaml.safe_load((HERE / "scenarios.yaml").read_text())["schemas"]["Order"]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mockserve-bench"


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


def mockserve_target(
    spec: Path, work: Path, probe: str, extra: list[str] = (), name: str = "mockserve"
) -> Target:
    port = free_port()
    argv = [sys.executable, "-m", "mockserve", "run", str(spec), "--port", str(port), "-q", *extra]
    return Target(
        name,
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
    """`mockserve run --https`: the same backend as plain `run`, with the given certificate."""
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


# -- WireMock -------------------------------------------------------------------------


def wiremock_jar() -> Path | None:
    """The jar from npm's `wiremock` package, installed into a cache folder once."""
    if not shutil.which("java"):
        return None
    folder = CACHE / "wiremock"
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
                "{{#eq request.query.verbose.first '1'}}true{{else}}false{{/eq}},"
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


# -- Prism ----------------------------------------------------------------------------


def prism_command() -> Path | None:
    """Prism's CLI from npm's `@stoplight/prism-cli`, installed into a cache folder once."""
    if not shutil.which("node"):
        return None
    folder = CACHE / "prism"
    command = folder / "node_modules" / ".bin" / "prism"
    if not command.exists() and shutil.which("npm"):
        folder.mkdir(parents=True, exist_ok=True)
        print("installing Prism (npm install @stoplight/prism-cli) ...", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(folder), "@stoplight/prism-cli"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    return command if command.exists() else None


def prism_target(command: Path, work: Path, probe: str) -> Target:
    """Prism on benchmarks/scenarios.openapi.yaml (the scenarios as OpenAPI examples)."""
    port = free_port()
    argv = [str(command), "mock", "-h", "127.0.0.1", "-p", str(port)]
    argv += [str(HERE / "scenarios.openapi.yaml")]
    return Target("prism", argv, port, probe, work / f"prism-{port}.log")
