"""Times lifetimes 0.11.3 and this crate on the same data in one run and prints the ratios.

Setup (once; the same pinned versions as scripts/model_fixtures.py):

    python3 -m venv .venv
    .venv/bin/pip install lifetimes==0.11.3 numpy==2.4.6 scipy==1.17.1 \\
        pandas==3.1.1 autograd==1.9.1 dill==0.4.1 python-dateutil==2.9.0.post0 tzdata==2025.2

Run (on a quiet machine; about two minutes):

    .venv/bin/python scripts/compare_lifetimes.py

The script builds `examples/bench_compare.rs` in release mode, lets it write the simulated data
sets (1 million BG/NBD customers, 100,000 Pareto/NBD customers, from the crate's seeded
simulators) into a temporary directory next to the CDNOW summary and the donations table,
times lifetimes on those files (single process), then runs the Rust binary
on the same files and prints a markdown table of the timings, the ratios and the goals of
issue 4, with the `parallel` build (in target/parallel) at 1 and 2 threads (RAYON_NUM_THREADS)
beside them, and the memory of the 1M-customer BG/NBD fit (Linux /proc/self/status).

Every timing is the best of several runs, the same number on both sides (20 for the fits on
CDNOW, the donations and the CDNOW spenders, 10 for MBG/NBD and for every scoring task), except
the two large fits, which lifetimes runs once (each takes 10 to 40 s) and the crate three times
in each round.
The sides alternate in three rounds (lifetimes, the crate, the `parallel` build at 1 and at 2
threads; lifetimes' large fits in the first round only) and each task keeps its fastest round:
a shared machine's speed can change by a factor of two from one minute to the next, and a
single pass can put a slow spell on one side only. Ratios also differ from machine to machine
(numpy's vectorised exp and log gain most on AVX-512 machines).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from lifetimes import (
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
warnings.filterwarnings("ignore")


def best(runs, f):
    out = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - start)
    return out


def time_lifetimes(d, large):
    cdnow = pd.read_csv(os.path.join(d, "cdnow.csv"))
    million = pd.read_csv(os.path.join(d, "bgnbd_1m.csv"))
    pareto = pd.read_csv(os.path.join(d, "pareto_100k.csv"))
    donations = pd.read_csv(os.path.join(d, "donations.csv"))
    spenders = cdnow[cdnow.x > 0]
    out = {}
    out["fit_bgnbd_cdnow"] = best(20, lambda: BetaGeoFitter().fit(cdnow.x, cdnow.t_x, cdnow["T"]))
    if large:
        out["fit_bgnbd_1m"] = best(1, lambda: BetaGeoFitter().fit(million.x, million.t_x, million["T"]))
        out["fit_pareto_100k"] = best(1, lambda: ParetoNBDFitter().fit(pareto.x, pareto.t_x, pareto["T"]))
    out["fit_mbgnbd_cdnow"] = best(10, lambda: ModifiedBetaGeoFitter().fit(cdnow.x, cdnow.t_x, cdnow["T"]))
    out["fit_bgbb_donations"] = best(
        20,
        lambda: BetaGeoBetaBinomFitter().fit(
            donations.frequency, donations.recency, donations.periods, donations.weights
        ),
    )
    out["fit_gamma_gamma_cdnow"] = best(20, lambda: GammaGammaFitter().fit(spenders.x, spenders.zbar))
    # Scoring at the CDNOW estimates (the same parameters as the Rust side).
    bg = BetaGeoFitter()
    bg.params_ = pd.Series(dict(r=0.243, alpha=4.414, a=0.793, b=2.426))
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    x, t_x, T = million.x.values, million.t_x.values, million["T"].values
    out["alive_bgnbd_1m"] = best(10, lambda: bg.conditional_probability_alive(x, t_x, T))
    xs, ts, Ts = x[:100_000], t_x[:100_000], T[:100_000]
    out["expected_bgnbd_100k"] = best(
        10, lambda: bg.conditional_expected_number_of_purchases_up_to_time(10.0, xs, ts, Ts)
    )
    pn = ParetoNBDFitter()
    pn.params_ = pd.Series(dict(r=0.553, alpha=10.578, s=0.606, beta=11.669))
    px, pt, pT = pareto.x.values, pareto.t_x.values, pareto["T"].values
    out["alive_pareto_100k"] = best(10, lambda: pn.conditional_probability_alive(px, pt, pT))
    out["expected_pareto_100k"] = best(
        10, lambda: pn.conditional_expected_number_of_purchases_up_to_time(10.0, px, pt, pT)
    )
    gg = GammaGammaFitter()
    gg.params_ = pd.Series(dict(p=6.25, q=3.74, v=15.44))
    # 12 monthly steps of 30 days on weekly data (lifetimes' own CLV definition; the crate uses
    # 12 steps of 4.345 weeks: the same amount of work).
    out["clv12_cdnow"] = best(
        10,
        lambda: gg.customer_lifetime_value(
            bg, spenders.x, spenders.t_x, spenders["T"], spenders.zbar, time=12, discount_rate=0.01, freq="W"
        ),
    )
    return out


# (key, what, customers per run for a throughput column or None, goal ratio)
GOALS = [
    ("fit_bgnbd_cdnow", "BG/NBD fit, CDNOW (2,357)", None, 50),
    ("fit_bgnbd_1m", "BG/NBD fit, 1M simulated", None, 10),
    ("fit_pareto_100k", "Pareto/NBD fit, 100k simulated", None, 20),
    ("fit_mbgnbd_cdnow", "MBG/NBD fit, CDNOW", None, 20),
    ("fit_bgbb_donations", "BG/BB fit, donations (11,104)", None, 20),
    ("fit_gamma_gamma_cdnow", "Gamma-Gamma fit, CDNOW spenders", None, 20),
    ("alive_bgnbd_1m", "BG/NBD P(alive), 1M", 1_000_000, None),
    ("expected_bgnbd_100k", "BG/NBD E[Y(10)], 100k", 100_000, 5),
    ("alive_pareto_100k", "Pareto/NBD P(alive), 100k", 100_000, 10),
    ("expected_pareto_100k", "Pareto/NBD E[Y(10)], 100k", 100_000, 10),
    ("clv12_cdnow", "CLV 12 periods (BG/NBD × Gamma-Gamma), CDNOW spenders", 946, 20),
]


# Rounds of timings; each task keeps its fastest round.
ROUNDS = 3


def fastest(into, timings):
    for key, seconds in timings.items():
        into[key] = min(seconds, into.get(key, float("inf")))


def build(target_dir, features):
    subprocess.run(
        ["cargo", "build", "--release", "--example", "bench_compare", "--target-dir", target_dir, *features],
        cwd=ROOT,
        check=True,
    )
    return os.path.join(target_dir, "release", "examples", "bench_compare")


def run(binary, mode, d, threads=None):
    env = dict(os.environ)
    if threads is not None:
        env["RAYON_NUM_THREADS"] = str(threads)
    out = subprocess.run([binary, mode, d], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def cell(n, seconds):
    return f"{seconds * 1e3:.2f} ms" if n is None else f"{n / seconds / 1e6:.2f} M/s"


def main():
    serial = build(os.path.join(ROOT, "target"), [])
    parallel = build(os.path.join(ROOT, "target", "parallel"), ["--features", "parallel"])
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([serial, "simulate", d], check=True)
        summary = pd.read_csv(os.path.join(ROOT, "tests", "data", "cdnow_summary.csv"))
        summary[["x", "t_x", "T", "zbar"]].to_csv(os.path.join(d, "cdnow.csv"), index=False)
        pd.read_csv(os.path.join(ROOT, "tests", "data", "donations.csv")).to_csv(
            os.path.join(d, "donations.csv"), index=False
        )
        # Rounds alternate the two sides, so that a slow spell of the machine falls on both.
        py, rust, one, two = {}, {}, {}, {}
        for i in range(ROUNDS):
            fastest(py, time_lifetimes(d, large=i == 0))
            fastest(rust, run(serial, "time", d))
            fastest(one, run(parallel, "time", d, 1))
            fastest(two, run(parallel, "time", d, 2))
        memory = run(serial, "memory", d)
    print(
        f"lifetimes 0.11.3 (numpy {np.__version__}) vs customer-metrics, one run of {ROUNDS} rounds, "
        f"{os.cpu_count()} cores\n"
    )
    print("| task | lifetimes | this crate | ratio | goal | met | `parallel`, 1 thread | `parallel`, 2 threads |")
    print("|---|---|---|---|---|---|---|---|")
    for key, what, n, goal in GOALS:
        a, b = py[key], rust[key]
        ratio = a / b
        if key == "alive_bgnbd_1m":
            goal_text, met = "≥ 30 M/s", n / b >= 30e6
        else:
            goal_text, met = f"≥ {goal}×", ratio >= goal
        print(
            f"| {what} | {cell(n, a)} | {cell(n, b)} | {ratio:.1f}× | {goal_text} | {'yes' if met else 'no'} "
            f"| {cell(n, one[key])} | {cell(n, two[key])} |"
        )
    summaries = memory["summaries_bytes"]
    before, peak = memory["rss_before_fit"], memory["peak_rss_during_fit"]
    print(
        f"\nMemory of the BG/NBD fit of {memory['customers']:,} customers: summaries {summaries / 1e6:.1f} MB, "
        f"resident {before / 1e6:.1f} MB before the fit, peak {peak / 1e6:.1f} MB during it "
        f"(the fit needs {(peak - before) / 1e6:.1f} MB, {(peak - before) / summaries:.2f}× the summaries; "
        f"peak {peak / summaries:.2f}× the summaries; goal ≤ 2×)"
    )


if __name__ == "__main__":
    main()
