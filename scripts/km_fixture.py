"""Kaplan-Meier reference fixture from lifelines' KaplanMeierFitter.

Regenerate (from the crate root):

    /work/main/.venv/bin/python scripts/km_fixture.py

writes tests/data/km_lifelines.json, read by tests/retention.rs (which compares every number at
1e-9 absolute). Infinite values (a median that is never reached) are written as null. The data sets
are deterministic (numpy Generator with a fixed seed).
"""

import json
import math
import pathlib
import warnings

import lifelines
import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times, qth_survival_time

SEED = 20261123
LEVELS = [0.95, 0.90, 0.99, 0.50]
QUANTILES = [1.0, 0.9, 0.75, 0.5, 0.25, 0.1, 0.0]
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "km_lifelines.json"


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def datasets():
    rng = np.random.default_rng(SEED)
    out = []
    # Hand-made: ties among events, censoring tied with events (at 3 and 5), an event at 0.
    out.append(("hand_ties", [0, 1, 1, 2, 3, 3, 3, 4, 5, 5, 6, 8, 8, 9, 12],
                [1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1], None))
    # The hand-worked example of tests/retention.rs (no event at 0).
    out.append(("hand_small", [2, 3, 3, 5, 6, 6, 8], [1, 1, 0, 1, 0, 1, 0], None))
    out.append(("all_censored", [1.5, 2.0, 2.0, 7.25], [0, 0, 0, 0], None))
    out.append(("no_censoring", [3, 1, 4, 1, 5, 9, 2, 6], [1] * 8, None))
    out.append(("one_subject_event", [5.0], [1], None))
    out.append(("one_subject_censored", [5.0], [0], None))
    # A few hundred exponential tenures, ~30% censored by independent uniform censoring times.
    n = 300
    t = rng.exponential(scale=12.0, size=n)
    c = rng.uniform(0.0, 35.0, size=n)
    out.append(("exponential_300", np.round(np.minimum(t, c), 3).tolist(), (t <= c).astype(int).tolist(), None))
    # Weibull (shape 1.5) tenures in whole months: many ties; administrative censoring at 24.
    n = 250
    t = np.ceil(rng.weibull(1.5, size=n) * 14.0)
    c = np.minimum(rng.integers(6, 60, size=n), 24)
    out.append(("weibull_months_250", np.minimum(t, c).tolist(), (t <= c).astype(int).tolist(), None))
    # Frequency (integer) weights, as lifelines' `weights` documents them.
    d = np.round(rng.exponential(8.0, size=40), 1)
    e = (rng.uniform(size=40) < 0.7).astype(int)
    w = rng.integers(1, 6, size=40)
    out.append(("weighted_integer", d.tolist(), e.tolist(), w.astype(float).tolist()))
    # Non-integer weights: lifelines casts the at-risk count to uint64 in the Greenwood term, so
    # only the timeline, counts, S(t), median and quantiles are compared (see the Rust docs).
    w2 = np.round(rng.uniform(0.2, 3.0, size=40), 3)
    out.append(("weighted_fractional", d.tolist(), e.tolist(), w2.tolist()))
    return out


def fit_one(name, durations, observed, weights):
    record = {
        "name": name,
        "durations": [float(x) for x in durations],
        "observed": [bool(x) for x in observed],
        "weights": weights,
        "compare_variance": weights is None or all(float(w).is_integer() for w in weights),
        "levels": [],
    }
    base = None
    for level in LEVELS:
        kmf = KaplanMeierFitter(alpha=1.0 - level)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kmf.fit(durations, observed, weights=weights)
        ci = kmf.confidence_interval_survival_function_
        lower = ci.iloc[:, 0].to_numpy()
        upper = ci.iloc[:, 1].to_numpy()
        med_ci = median_survival_times(ci)
        record["levels"].append({
            "level": level,
            "lower": lower.tolist(),
            "upper": upper.tolist(),
            "median_lower": finite_or_none(med_ci.iloc[0, 0]),
            "median_upper": finite_or_none(med_ci.iloc[0, 1]),
        })
        base = kmf
    kmf = base
    table = kmf.event_table
    sf = kmf.survival_function_.iloc[:, 0]
    record["timeline"] = [float(x) for x in table.index]
    record["at_risk"] = table["at_risk"].astype(float).tolist()
    record["events"] = table["observed"].astype(float).tolist()
    record["removed"] = table["removed"].astype(float).tolist()
    record["survival"] = sf.to_numpy().tolist()
    record["greenwood_sum"] = kmf._cumulative_sq_.to_numpy().tolist()
    record["median"] = finite_or_none(kmf.median_survival_time_)
    top = max(record["timeline"])
    times = sorted(set([0.0, 0.5, 1.0, 2.5, 3.0, top / 3.0, top / 2.0, top, top + 1.0] + record["timeline"][:5]))
    record["predict_times"] = times
    record["predict_survival"] = [float(kmf.predict(x)) for x in times]
    record["quantiles"] = [{"q": q, "time": finite_or_none(qth_survival_time(q, sf))} for q in QUANTILES]
    return record


def main():
    fixture = {
        "generator": "scripts/km_fixture.py",
        "lifelines_version": lifelines.__version__,
        "numpy_version": np.__version__,
        "seed": SEED,
        "datasets": [fit_one(*d) for d in datasets()],
    }
    OUT.write_text(json.dumps(fixture, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT} ({len(fixture['datasets'])} data sets, lifelines {lifelines.__version__})")


if __name__ == "__main__":
    main()
