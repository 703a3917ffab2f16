"""Deterministic sample data for examples/report.rs (Python standard library only).

    python3 scripts/report_sample.py

writes examples/data/transactions_small.csv: a shop's purchases (header
customer_id,date,amount, dates YYYY-MM-DD), 400 customers who first bought in the first
quarter of 2024, observed through 2025-06-30. Purchases follow the BG/NBD story (weekly
purchase rates lambda ~ Gamma(r = 0.8, alpha = 8), dropout after each repeat purchase with
p ~ Beta(1, 3)); amounts follow the Gamma-Gamma story (z ~ Gamma(6, nu), nu ~ Gamma(4, 20):
about $40 a purchase). Suggested split: --calibration-end 2024-12-31.
"""

import datetime
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "data"
START = datetime.date(2024, 1, 1)
END = datetime.date(2025, 6, 30)


def transactions(rng):
    rows = []
    for c in range(1, 401):
        customer = f"S{c:04d}"
        lam = rng.gammavariate(0.8, 1 / 8.0)  # purchases per week
        p = rng.betavariate(1.0, 3.0)
        nu = rng.gammavariate(4.0, 1 / 20.0)
        day = rng.randrange(0, 91)  # first purchase in Q1 2024
        alive = True
        first = True
        while alive:
            date = START + datetime.timedelta(days=day)
            if date > END:
                break
            amount = round(rng.gammavariate(6.0, 1 / nu), 2)
            rows.append((date, customer, amount))
            if not first and rng.random() < p:
                alive = False
            first = False
            # Next purchase after an exponential wait (at least the next day).
            day += max(1, round(7 * rng.expovariate(lam))) if lam > 0 else 10**6
    rows.sort()
    return ["customer_id,date,amount"] + [f"{c},{d.isoformat()},{a:.2f}" for d, c, a in rows]


def main():
    rng = random.Random(20240101)
    (ROOT / "transactions_small.csv").write_text("\n".join(transactions(rng)) + "\n")


if __name__ == "__main__":
    main()
