#!/usr/bin/env python3
"""Times two `modelgate` builds on the bench specs, alternating old and new run by run (and
which goes first), and prints the medians and the median of the paired ratios."""
import argparse
import statistics
import subprocess
import time

BENCH = "bench"
CASES = [
    ("crosstab 10M", f"{BENCH}/crosstab.yaml", ".bench/state-10000000"),
    ("ols 1M", f"{BENCH}/ols.yaml", ".bench/state-1000000"),
    ("logit 1M", f"{BENCH}/logit.yaml", ".bench/state-1000000"),
]


def timed(binary, spec, state):
    start = time.perf_counter()
    run = subprocess.run([binary, "run", spec, "--state", state], capture_output=True)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{binary} run {spec} exited {run.returncode}: {run.stderr[-500:]!r}")
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--runs", type=int, default=21)
    a = ap.parse_args()
    print(f"runs={a.runs} each, interleaved; ratio = new / old (below 1.0: new is faster)")
    for name, spec, state in CASES:
        old, new = [], []
        for i in range(a.runs):
            pair = [(old, a.old), (new, a.new)]
            for times, binary in pair if i % 2 == 0 else reversed(pair):
                times.append(timed(binary, spec, state))
        mo, mn = statistics.median(old), statistics.median(new)
        paired = statistics.median(n / o for o, n in zip(old, new))
        print(f"{name:13} old {mo * 1000:7.1f} ms   new {mn * 1000:7.1f} ms   "
              f"ratio {mn / mo:.3f}   paired ratio {paired:.3f}")


if __name__ == "__main__":
    main()
