"""Benchmark mockserve against its peers: Prism, WireMock, and a hand-written Flask app.

    python benchmarks/run.py            # full run, about 8 minutes
    python benchmarks/run.py --quick    # under 3 minutes: 2 s per measurement, no long
                                        # WireMock warm-up

Scenarios: S1 static JSON GET; S2 templated GET with path and query; S3 POST with JSON
Schema validation; S4 a 1000-route spec, first and last route; S5 a `delay: 200` route
under 100 concurrent clients while another route is probed; plus time to first response
and memory (RSS) with the 1000-route spec. Columns: `mockserve run` (one process) and
`run --workers 2`; Prism 5 (Node, npm `@stoplight/prism-cli`) on the same scenarios as
OpenAPI examples; WireMock (npm `wiremock`) after a 2 s warm-up and after a long one (its
JIT); the scenarios hand-written in Flask on mockserve's own server and on granian.
S1-S3 also over HTTPS (`run --https`, the same backend) against Flask on granian with
TLS. Every target's answers are checked before it is timed. Needs wrk and granian
(benchmark-only); node/npm for Prism, java/npm for WireMock (skipped, and said, without).
Not part of the test suite: figures depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from load import Driver, Load, Request, probe_while, require_tools
from report import JIT_WARMUP, report
from targets import (
    HERE,
    Target,
    baseline_target,
    granian_target,
    make_tls,
    mockserve_https_target,
    mockserve_target,
    prism_command,
    prism_target,
    wiremock_jar,
    wiremock_route_stubs,
    wiremock_scenario_stubs,
    wiremock_target,
)

ROUTES = 1000
ORDER_BODY = '{"item": "book", "qty": 2}'


SCENARIOS = {
    "S1 static GET": Request("/static"),
    "S2 templated GET": Request("/users/42?verbose=1"),
    "S3 POST + schema": Request("/orders", "POST", ORDER_BODY),
}


# -- the runs -------------------------------------------------------------------------

# What each scenario must answer, checked on every target before it is timed: the
# status, and the JSON body (Prism answers S2's example, which is what mockserve renders).
EXPECTED = {
    "S1 static GET": (200, {"status": "ok", "service": "bench", "items": [1, 2, 3]}),
    "S2 templated GET": (200, {"id": 42, "verbose": True, "greeting": "hello user 42"}),
    "S3 POST + schema": (201, {"item": "book", "qty": 2, "status": "accepted"}),
}


def check_answers(target: Target, scenarios: dict[str, Request]) -> None:
    """Each scenario's answer on `target`, as EXPECTED says; exit naming what differs."""
    import urllib.error
    import urllib.request

    for label, request in scenarios.items():
        status, wanted = EXPECTED[label]
        data = request.body.encode() if request.body else None
        asked = urllib.request.Request(
            target.url + request.path,
            data=data,
            method=request.method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        try:
            with urllib.request.urlopen(asked, timeout=10, context=target.tls) as answer:
                got, body = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            got, body = error.code, error.read()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body
        if (got, parsed) != (status, wanted):
            sys.exit(f"{target.name} answers {label} with {got} {body[:200]!r}; expected {status}")


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
    prism = None if args.no_prism else prism_command()
    if not args.no_prism and prism is None:
        print("Prism skipped: needs node (and npm to fetch it)", file=sys.stderr)
    routes_spec = work / "routes1000.yaml"
    write_routes_spec(routes_spec, ROUTES)
    last = f"/r{ROUTES - 1:04d}/items"
    spec = HERE / "scenarios.yaml"
    two = ["--workers", "2"]
    threads = args.granian_threads
    tls = make_tls(work)
    runs = [
        Contender(
            "mockserve",
            lambda: mockserve_target(spec, work, "/static"),
            lambda: mockserve_target(routes_spec, work, last),
        ),
        Contender(
            "mockserve-w2",
            lambda: mockserve_target(spec, work, "/static", two, "mockserve-w2"),
            delay=False,
        ),
        Contender(
            "baseline",
            lambda: baseline_target(work, "/static"),
            lambda: baseline_target(work, last, ROUTES),
            delay=False,  # its /slow sleeps, which would hold up the loop it answers on
        ),
        Contender(
            "granian",
            lambda: granian_target(work, "/static", threads),
            lambda: granian_target(work, last, threads, ROUTES),
        ),
    ]
    if prism is not None:
        runs.append(Contender("prism", lambda: prism_target(prism, work, "/static"), delay=False))
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
                long_warmup=2.0,  # the "2 s warm-up"
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
            check_answers(targets[run.name], SCENARIOS)
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
    parser.add_argument(
        "--granian-threads",
        type=int,
        default=128,
        metavar="N",
        help="granian --blocking-threads for the Flask baseline (default 128)",
    )
    parser.add_argument(
        "--jit-warmup",
        type=float,
        metavar="S",
        help=f"seconds of load on each scenario before WireMock's warm measurement "
        f"(default {JIT_WARMUP:g}; 0 with --quick); 0 measures only the short warm-up",
    )
    parser.add_argument("--no-wiremock", action="store_true", help="skip WireMock")
    parser.add_argument("--no-prism", action="store_true", help="skip Prism")
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
