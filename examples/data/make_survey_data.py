"""Makes the bundled survey files of `examples/survey.rs` (run once; the example reads the files).

Synthetic, made up for the example (not real customers): each segment draws scores from a fixed
distribution with a 32-bit linear congruential generator (Numerical Recipes constants) seeded
with 20261123, so running this script again writes the same files.

    python3 examples/data/make_survey_data.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
state = 20261123


def uniform():
    global state
    state = (1664525 * state + 1013904223) % 2**32
    return state / 2**32


def draw(weights):
    u, acc = uniform() * sum(weights), 0.0
    for i, w in enumerate(weights):
        acc += w
        if u < acc:
            return i
    return len(weights) - 1


def write(name, header, segments, low, order):
    rows = []
    for segment, (n, weights) in segments.items():
        for _ in range(n):
            rows.append((segment, low + draw(weights)))
    rows.sort(key=lambda r: uniform())  # interleave the segments
    with open(os.path.join(HERE, name), "w", newline="\n") as f:
        f.write(f"# Synthetic {header} responses made by make_survey_data.py (seed 20261123); not real data.\n")
        f.write(",".join(order) + "\n")
        for i, (segment, score) in enumerate(rows, 1):
            values = {"respondent": f"r{i:04}", "segment": segment, "score": str(score)}
            f.write(",".join(values[c] for c in order) + "\n")


# NPS 0..=10: web customers are lukewarm, app users promote, store visitors detract more.
write("survey_responses.csv", "NPS (0-10)", {
    "web": (80, [2, 1, 1, 2, 2, 4, 6, 10, 12, 10, 8]),
    "app": (70, [1, 1, 1, 1, 1, 2, 3, 7, 10, 14, 16]),
    "store": (50, [3, 2, 3, 3, 4, 6, 7, 8, 7, 5, 4]),
}, 0, ["respondent", "segment", "score"])
# CES 2.0, 1..=7 agreement (columns in another order on purpose).
write("survey_ces.csv", "CES (1-7 agreement)", {
    "web": (70, [2, 3, 4, 6, 10, 12, 8]),
    "app": (60, [1, 1, 2, 4, 8, 14, 16]),
}, 1, ["score", "respondent", "segment"])
# CES 1.0, 1..=5 effort.
write("survey_ces5.csv", "CES (1-5 effort)", {
    "web": (70, [10, 14, 10, 6, 3]),
    "app": (60, [18, 14, 6, 3, 1]),
}, 1, ["segment", "score", "respondent"])
# CSAT 1..=5.
write("survey_csat.csv", "CSAT (1-5)", {
    "web": (70, [3, 5, 10, 18, 14]),
    "app": (60, [2, 3, 6, 16, 20]),
    "store": (50, [5, 6, 10, 12, 8]),
}, 1, ["respondent", "segment", "score"])
