"""The benchmark's report: the tables of req/s and ratios, and the goals of issue 21."""

from __future__ import annotations

import argparse

from load import Load

JIT_WARMUP = 30.0  # seconds of load on each scenario before WireMock's warm measurement

# The columns, in the report's order: key (as in --json) and title.
TITLES = {
    "mockserve": "mockserve",
    "mockserve-w2": "mockserve -w2",
    "baseline": "Flask/same server",
    "granian": "Flask/granian",
    "prism": "Prism",
    "wiremock": "WireMock warm",
    "wiremock-short": "WireMock 2s",
    "mockserve-https": "mockserve HTTPS",
    "granian-tls": "Flask/granian TLS",
}
PLAIN = ["mockserve", "mockserve-w2", "baseline", "granian", "prism", "wiremock", "wiremock-short"]


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
    lines += ["", "HTTPS (`run --https`, the same backend): req/s (p50/p99 ms)"]
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
            "WireMock 2s: a fresh JVM, 2 s of load on each scenario first."
        )
    elif "wiremock-short" in figures:
        lines.append(
            "WireMock: long (JIT) warm-up skipped (--quick or --jit-warmup 0): only the "
            f"short-warm-up figure; a full run warms it {JIT_WARMUP:g} s per scenario."
        )
    lines.append(
        f"Flask/granian: baseline_app.py on granian, 1 worker, "
        f"{args.granian_threads} blocking threads; Flask/same server: baseline_app.py on "
        "mockserve's backend (uvicorn, answering on its event loop)."
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

    baseline = figures["baseline"]
    for row in ROWS[:3]:
        goal(
            f"{row}: {ratio(ms.get(row), baseline.get(row))} the same Flask app by hand "
            "(the pipeline's own cost; >= 0.75)",
            ms[row].rps >= 0.75 * baseline[row].rps,
        )
        if "prism" in figures:
            prism = figures["prism"][row].rps
            goal(f"{row}: {ms[row].rps / prism:.2f}x Prism (>= 1.5)", ms[row].rps >= 1.5 * prism)
    if "wiremock-short" in figures:
        w2 = figures["mockserve-w2"]
        for row in ROWS[:2]:
            wm = figures["wiremock-short"][row].rps
            goal(
                f"{row}, --workers 2: {w2[row].rps / wm:.2f}x WireMock after a 2 s warm-up "
                "(>= 1.0)",
                w2[row].rps >= wm,
            )
    https = figures["mockserve-https"]
    for row in ROWS[:3]:
        goal(
            f"{row} over HTTPS: {ratio(https.get(row), ms.get(row))} plain HTTP (>= 0.5)",
            https[row].rps >= 0.5 * ms[row].rps,
        )
    for row in ROWS[3:5]:
        goal(f"{row}: {ms[row].rps / s1:.2f}x S1 (within 10%)", ms[row].rps >= 0.9 * s1)
    s5 = ms["S5 delay 200ms x100"].rps
    goal(f"S5: {s5:.0f} req/s = {s5 / ideal:.0%} of ideal {ideal:.0f} (>= 90%)", s5 >= 0.9 * ideal)
    goal(f"1000-route spec first response {ms['TTFR (s)']:.2f} s (< 1 s)", ms["TTFR (s)"] < 1)
    goal(
        f"1000-route spec RSS {ms['RSS after load (MB)']:.0f} MB (< 100 MB)",
        ms["RSS after load (MB)"] < 100,
    )
    return lines
