"""Keeping customers at scale: the contact log, plans, the worklist and the row's new columns.

Run: python benchmarks/bench_retention.py [--customers 20000] [--contacts 200000] [--rounds 5]

Each figure is a median over interleaved rounds against a baseline measured in the same run:
- ``summarize_interactions`` against a bare loop that only keeps the latest contact per
  (customer, purpose) in a dict: what folding costs beyond the least it could do;
- ``assess_all`` with the contact log and spend estimates against ``assess_all`` without them:
  what the contact plan and customer share add to an assessment;
- ``worklist`` against sorting the same number of plain tuples.
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta

from _harness import median_seconds, report

import logicrm as lc
from logicrm.sample import SAMPLE_AS_OF, generate_customers, generate_shipments

PURPOSES = ("enquiry", "tracking_lookup", "quote", "follow_up_visit", "satisfaction_survey",
            "sales_call", "account_review")  # fmt: skip


def contacts(count: int, customers: int, seed: int = 11) -> list[lc.Interaction]:
    rng = random.Random(seed)
    return [
        lc.Interaction(
            id=f"I{n:08d}",
            customer_id=f"C{rng.randrange(customers):05d}",
            at=SAMPLE_AS_OF - timedelta(seconds=rng.randrange(730 * 86_400)),
            channel=rng.choice(("phone", "email", "web", "visit")),
            direction=rng.choice(("inbound", "outbound")),
            purpose=rng.choice(PURPOSES),
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    as_of = SAMPLE_AS_OF
    customers = generate_customers(args.customers)
    activities = lc.summarize(
        generate_shipments(args.customers * 10, customers=args.customers), as_of=as_of
    )
    log = contacts(args.contacts, args.customers)
    estimates = [
        lc.SpendEstimate(customer_id=c.id, annual_spend=lc.Money("1000000", "CNY"),
                         estimated_on=as_of.date())
        for c in customers[::2]
    ]  # fmt: skip

    def bare() -> dict[tuple[str, str], object]:
        latest: dict[tuple[str, str], object] = {}
        for i in log:
            key = (i.customer_id, i.purpose)
            if i.at <= as_of and (key not in latest or i.at > latest[key]):  # type: ignore[operator]
                latest[key] = i.at
        return latest

    folded = lc.summarize_interactions(log, as_of=as_of)
    inputs = lc.AssessmentInputs(contacts=folded, spend_estimates=estimates)
    results = lc.assess_all(customers, activities, as_of=as_of, inputs=inputs)
    items = [
        (i, c.customer_id) for c in results.values() for i in range(len(c.contact_plan.open_items))
    ]
    times = median_seconds(
        {
            "fold": lambda: lc.summarize_interactions(log, as_of=as_of),
            "bare": bare,
            "assess+": lambda: lc.assess_all(customers, activities, as_of=as_of, inputs=inputs),
            "assess": lambda: lc.assess_all(customers, activities, as_of=as_of),
            "worklist": lambda: lc.worklist(results),
            "sort": lambda: sorted(items, key=lambda t: (-t[0], t[1])),
        },
        rounds=args.rounds,
    )
    n, c = args.contacts, args.customers
    report(
        f"keeping customers: {n:,} contacts, {c:,} customers, {len(items):,} open items",
        [
            ("summarize_interactions", f"{times['fold']:.3f} s ({n / times['fold']:,.0f}/s)",
             f"{times['fold'] / times['bare']:.2f}x the bare latest-per-purpose loop"),
            ("assess_all + plans + share", f"{times['assess+']:.3f} s",
             f"{times['assess+'] / times['assess']:.2f}x assess_all without them "
             f"({times['assess'] / c * 1e6:.0f} -> {times['assess+'] / c * 1e6:.0f} µs/customer)"),
            ("worklist", f"{times['worklist']:.3f} s",
             f"{times['worklist'] / times['sort']:.2f}x sorting as many tuples"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
