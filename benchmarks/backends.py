"""Which server serves mockserve: the candidates measured on what a mock needs.

    python benchmarks/backends.py [--duration 5] [--rounds 3]

For each candidate it starts a server on benchmarks/scenarios.yaml (plus a `disconnect`
route) with a certificate of a throwaway local CA, then checks TLS, the `disconnect`
fault (closed with nothing sent), the JSON 400 for a garbage request line, and measures
with wrk (best of --rounds): S1 `GET /static` at -t1 -c16, S5 `GET /slow` (delay 200)
at -c100 (ideal 500 req/s). The hand-written Flask app (baseline_app.py) on granian with
one worker is measured the same way, for comparison. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
GRANIAN = str(Path(PYTHON).parent / "granian")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_up(url: str, ca: str | bool, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/static", verify=ca, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def wrk(url: str, connections: int, duration: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def disconnect(url: str, ca: str | bool) -> str:
    try:
        answer = requests.get(url + "/drop", verify=ca, timeout=5)
    except requests.ConnectionError:
        return "closed, nothing sent"
    return f"answered {answer.status_code} ({len(answer.content)} bytes)"


def garbage(port: int, tls: bool) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        sock: socket.socket = raw
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(raw)
        sock.sendall(b"GARBAGE\r\n\r\n")
        data = b""
        try:
            while chunk := sock.recv(4096):
                data += chunk
        except OSError:
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode(errors="replace")
    try:
        json.loads(body)
        kind = "JSON"
    except ValueError:
        kind = "empty body" if not body else "not JSON"
    return f"{status or 'closed'}; {kind}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mockserve-backends-"))
    env = {**os.environ, "MOCKSERVE_CACHE_DIR": str(work / "cache"), "PYTHONPATH": str(ROOT)}
    spec = work / "scenarios.yaml"
    spec.write_text(
        (HERE / "scenarios.yaml").read_text()
        + "\n  - path: /drop\n    faults: [{rate: 1, kind: disconnect}]\n    response: {json: {}}\n"
    )
    sys.path.insert(0, str(ROOT))
    os.environ["MOCKSERVE_CACHE_DIR"] = env["MOCKSERVE_CACHE_DIR"]
    from mockserve.tls import issue

    certificate = issue()
    (work / "cert.pem").write_bytes(certificate.chain_pem)
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(certificate.key_pem, None)
    pkcs8 = key.private_bytes(  # granian reads PKCS#8 only
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (work / "key.pem").write_bytes(pkcs8)
    ca = str(certificate.ca_path)
    (work / "target.py").write_text(
        f"from mockserve import create_app\napp = create_app({str(spec)!r})\n"
    )
    tls_files = [
        "--ssl-certificate",
        str(work / "cert.pem"),
        "--ssl-keyfile",
        str(work / "key.pem"),
    ]
    granian = [GRANIAN, "--interface", "wsgi", "--workers", "1", "--no-ws", "--log-level", "error"]

    def candidates(port: int) -> dict[str, tuple[list[str], bool, str]]:
        return {
            "uvicorn, on its event loop (`run`)": (
                [PYTHON, "-m", "mockserve", "run", str(spec), "-q", "--port", str(port)],
                False,
                str(ROOT),
            ),
            "uvicorn, 128 threads (`run --server uvicorn-threads`)": (
                [
                    *(PYTHON, "-m", "mockserve", "run", str(spec), "-q", "--port", str(port)),
                    *("--server", "uvicorn-threads"),
                ],
                False,
                str(ROOT),
            ),
            "uvicorn + ssl (`run --https`)": (
                [PYTHON, "-m", "mockserve", "run", str(spec), "-q", "--https", "--port", str(port)],
                True,
                str(ROOT),
            ),
            "granian WSGI, TLS, 128 blocking threads": (
                [
                    *granian,
                    "--blocking-threads",
                    "128",
                    *tls_files,
                    "--port",
                    str(port),
                    "target:app",
                ],
                True,
                str(work),
            ),
            "baseline Flask on granian, 1 worker (plain)": (
                [
                    *granian,
                    "--blocking-threads",
                    "128",
                    "--port",
                    str(port),
                    "--factory",
                    "baseline_app:scenarios_app",
                ],
                False,
                str(HERE),
            ),
            "baseline Flask on granian, 1 worker, TLS": (
                [
                    *granian,
                    "--blocking-threads",
                    "128",
                    *tls_files,
                    "--port",
                    str(port),
                    "--factory",
                    "baseline_app:scenarios_app",
                ],
                True,
                str(HERE),
            ),
        }

    rows = []
    for name in candidates(0):
        port = free_port()
        command, tls, cwd = candidates(port)[name]
        process = subprocess.Popen(command, cwd=cwd, env=env, stderr=subprocess.DEVNULL)
        scheme = "https" if tls else "http"
        url = f"{scheme}://127.0.0.1:{port}"  # wrk takes the first address: no ::1
        verify = ca if tls else False
        try:
            wait_up(url, verify)
            checks = (
                (disconnect(url, verify), garbage(port, tls))
                if "baseline" not in name
                else ("-", "-")
            )
            s1 = max(wrk(url + "/static", 16, args.duration) for _ in range(args.rounds))
            s5 = max(wrk(url + "/slow", 100, args.duration) for _ in range(args.rounds))
        finally:
            process.terminate()
            process.wait(20)
        rows.append((name, *checks, f"{s1:,.0f}", f"{s5:,.0f} ({s5 / 5:.0f}%)"))
        print(rows[-1], file=sys.stderr, flush=True)
    print("| server | disconnect fault | garbage request line | S1 req/s | S5 req/s (of 500) |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
