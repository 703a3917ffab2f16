"""Deterministic data for examples/engagement.rs (Python standard library only).

    python3 examples/data/make_engagement_data.py

writes, in examples/data/, a small shop's customer base over 2024 (48 customers):

- engagement_transactions.csv: customer_id,date,amount,cost_of_goods,category,tier (net of
  returns; the product category and its tier 1-3, from which the example classifies
  cross-sell and up-sell revenue);
- engagement_customers.csv: customer_id,channel,acquisition_cost,cost_to_serve (channel of
  acquisition, the acquisition cost attributed to the customer, and the year's cost to serve:
  order handling, deliveries, support calls, returns);
- engagement_referrals.csv: referrer,referred,kind,months,contribution,incentive,serving_cost,
  acquisition_saving (kind 1 = would not have joined otherwise, 2 = would have joined anyway;
  the monthly contribution and serving cost recur for `months` months, the incentive and the
  acquisition saving are in month 1);
- engagement_influence.csv: influencer,influencee,weight (share of the influencee's social
  responses drawn by the influencer's posts; each influencee's shares sum to at most 1);
- engagement_ideas.csv: customer_id,idea,share,monthly_profit,months,cost (implemented ideas:
  the idea's incremental profit per month, the customer's share of it, and the reward paid).
"""

import datetime
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent
START = datetime.date(2024, 1, 1)
CHANNELS = [("search", 55.0), ("social", 40.0), ("referral", 15.0), ("organic", 0.0)]
N = 48
CATEGORIES = ["coffee", "tea", "equipment", "accessories"]


def customer_ids():
    return [f"C{i:02d}" for i in range(1, N + 1)]


def main():
    rng = random.Random(20261201)
    ids = customer_ids()
    customers = ["customer_id,channel,acquisition_cost,cost_to_serve"]
    transactions = []
    referred_ids = []
    for cid in ids:
        channel, cac = CHANNELS[rng.randrange(len(CHANNELS))]
        if channel == "referral":
            referred_ids.append(cid)
        first = rng.randrange(0, 300)
        rate = rng.choice([0.5, 1, 1, 2, 3, 5])  # purchases per month while active
        life = rng.expovariate(1 / 200.0)  # days until the customer lapses
        basket = rng.uniform(20, 90)
        cogs_share = rng.uniform(0.5, 0.7)
        day, orders, returns = first, 0, 0
        category, tier = rng.choice(CATEGORIES), 1
        while day < 366 and day <= first + life:
            amount = round(basket * rng.uniform(0.6, 1.6), 2)
            if orders > 0:
                roll = rng.random()
                if roll < 0.12:
                    category, tier = rng.choice(CATEGORIES), 1  # perhaps a new category
                elif roll < 0.2:
                    tier = min(3, tier + 1)  # an upgrade
            amount = round(amount * (1 + 0.4 * (tier - 1)), 2)
            cogs = round(amount * cogs_share, 2)
            transactions.append((cid, START + datetime.timedelta(days=day), amount, cogs, category, tier))
            orders += 1
            if rng.random() < 0.04:
                returns += 1  # a returned item: handled (cost to serve), refunded and restocked
            day += max(1, int(rng.expovariate(rate / 30.4375)))
        # Cost to serve: 3 per order, 12 per return, support calls; a few demanding customers.
        calls = rng.choice([0, 0, 1, 2, 4]) + (rng.randrange(15, 40) if rng.random() < 0.2 else 0)
        serve = 3 * orders + 12 * returns + 12 * calls
        acq = round(cac * rng.uniform(0.8, 1.2), 2) if cac > 0 else 0.0
        customers.append(f"{cid},{channel},{acq:.2f},{serve:.2f}")
    rows = ["customer_id,date,amount,cost_of_goods,category,tier"]
    for cid, date, amount, cogs, category, tier in transactions:
        rows.append(f"{cid},{date.isoformat()},{amount:.2f},{cogs:.2f},{category},{tier}")
    header, body = rows[0], rows[1:]
    rng.shuffle(body)  # the summary builder does not need sorted input

    referrals = ["referrer,referred,kind,months,contribution,incentive,serving_cost,acquisition_saving"]
    # Every customer of the referral channel was referred by another customer; a few
    # referrers account for most referrals.
    referrers = rng.sample(ids, 8)
    for referred in referred_ids:
        referrer = rng.choice([cid for cid in referrers if cid != referred])
        kind = 1 if rng.random() < 0.6 else 2
        if kind == 1:
            referrals.append(
                f"{referrer},{referred},1,{rng.choice([6, 9, 12])},{rng.uniform(8, 30):.2f},"
                f"{rng.choice([10, 15, 20]):.2f},{rng.uniform(1, 4):.2f},{rng.uniform(30, 55):.2f}"
            )
        else:
            referrals.append(f"{referrer},{referred},2,1,0.00,0.00,0.00,{rng.uniform(30, 55):.2f}")

    influence = ["influencer,influencee,weight"]
    seen = set()
    received = {cid: 0.0 for cid in ids}
    for _ in range(40):
        a, b = rng.sample(ids, 2)
        w = round(rng.uniform(0.05, 0.4), 2)
        if (a, b) in seen or received[b] + w > 1.0:
            continue
        seen.add((a, b))
        received[b] += w
        influence.append(f"{a},{b},{w:.2f}")

    ideas = ["customer_id,idea,share,monthly_profit,months,cost"]
    for idea in ["gift-wrap", "bulk-pack", "app-dark-mode", "returns-label"]:
        contributors = rng.sample(ids, rng.choice([1, 2, 3]))
        profit = rng.uniform(15, 60)
        for cid in contributors:
            share = round(1 / len(contributors), 4)
            ideas.append(f"{cid},{idea},{share},{profit:.2f},{rng.choice([6, 12])},{rng.choice([10, 25]):.2f}")

    (ROOT / "engagement_transactions.csv").write_text("\n".join([header] + body) + "\n")
    (ROOT / "engagement_customers.csv").write_text("\n".join(customers) + "\n")
    (ROOT / "engagement_referrals.csv").write_text("\n".join(referrals) + "\n")
    (ROOT / "engagement_influence.csv").write_text("\n".join(influence) + "\n")
    (ROOT / "engagement_ideas.csv").write_text("\n".join(ideas) + "\n")


if __name__ == "__main__":
    main()
