"""Deterministic data for examples/retention.rs (Python standard library only).

    python3 scripts/example_data.py

writes examples/data/tenures.csv (200 subscription tenures in months, two plans, ~30 % still
active) and examples/data/transactions.csv (a shop's purchases over 2024, customers acquired
month by month, with a few refunds).
"""

import datetime
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "data"


def tenures(rng):
    rows = ["duration,observed,segment"]
    for i in range(200):
        segment = "monthly" if i % 2 == 0 else "annual"
        if segment == "monthly":
            life = rng.expovariate(1 / 10.0)  # mean 10 months
        else:
            life = rng.weibullvariate(20.0, 1.6)  # scale 20 months, increasing hazard
        follow_up = rng.uniform(1.0, 36.0)  # months since sign-up when the data were pulled
        duration = round(min(life, follow_up), 1)
        rows.append(f"{duration},{1 if life <= follow_up else 0},{segment}")
    return rows


def transactions(rng):
    rows = ["customer_id,date,amount"]
    start = datetime.date(2024, 1, 1)
    for c in range(110):
        first = rng.randrange(0, 330)  # acquisition day within 2024
        day = first
        p_return = rng.uniform(0.55, 0.9)
        while day < 366:
            date = start + datetime.timedelta(days=day)
            amount = round(rng.uniform(5, 120), 2)
            rows.append(f"C{c:03d},{date.isoformat()},{amount:.2f}")
            if rng.random() < 0.05:
                rows.append(f"C{c:03d},{date.isoformat()},{-amount:.2f}")  # refund
            if rng.random() > p_return:
                break
            day += rng.randrange(10, 70)
    header, body = rows[0], rows[1:]
    rng.shuffle(body)  # the builder does not need sorted input
    return [header] + body


def main():
    rng = random.Random(20261123)
    ROOT.mkdir(parents=True, exist_ok=True)
    (ROOT / "tenures.csv").write_text("\n".join(tenures(rng)) + "\n")
    (ROOT / "transactions.csv").write_text("\n".join(transactions(rng)) + "\n")


if __name__ == "__main__":
    main()
