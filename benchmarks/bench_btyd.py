"""BTYD summaries: lifetimes against btyd_summary on the pure-Python and columnar paths.

Run: python benchmarks/bench_btyd.py [--shipments 1000000] [--customers 20000]
(needs ``pip install lifetimes``; the script says so and stops if it is missing).

Each side starts from the same shipments and ends with one (frequency, recency, T,
monetary_value) row per customer, in days; the script first checks that the rows agree.
"""

from __future__ import annotations

import argparse
from datetime import UTC, timedelta

from _harness import median_seconds, report
from bench_frames import arrow_table

import logicrm as lc
from logicrm.frames import summarize_frame
from logicrm.sample import SAMPLE_AS_OF, generate_shipments

AS_OF = SAMPLE_AS_OF
DAY = timedelta(days=1)


def ours(activities: dict[str, lc.Activity]) -> dict[str, lc.BtydSummary]:
    return {
        key: lc.btyd_summary(a, as_of=AS_OF, unit=DAY) for key, a in activities.items() if a.orders
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data
    except ImportError:
        print("lifetimes is not installed: pip install lifetimes")
        return

    shipments = [
        s
        for s in generate_shipments(args.shipments, customers=args.customers)
        if s.ordered_at <= AS_OF
    ]
    import polars as pl

    frame = pl.from_arrow(arrow_table(shipments))
    transactions = pd.DataFrame(
        {
            "customer_id": [s.customer_id for s in shipments],
            "date": [s.ordered_at.astimezone(UTC).replace(tzinfo=None) for s in shipments],
            "revenue": [float(s.revenue.amount) for s in shipments],
        }
    )
    end = AS_OF.astimezone(UTC).replace(tzinfo=None)

    def lifetimes_side() -> object:
        return summary_data_from_transaction_data(
            transactions,
            "customer_id",
            "date",
            monetary_value_col="revenue",
            observation_period_end=end,
            freq="D",
        )

    def pure_side() -> object:
        return ours(lc.summarize(shipments, as_of=AS_OF))

    def columnar_side() -> object:
        return ours(summarize_frame(frame, as_of=AS_OF).activities)

    theirs = lifetimes_side()
    mine = pure_side()
    for key in list(mine)[:500]:
        row = theirs.loc[key]  # type: ignore[attr-defined]
        assert (row["frequency"], row["recency"], row["T"]) == (
            mine[key].frequency,
            mine[key].recency,
            mine[key].T,
        ), key
        assert abs(row["monetary_value"] - float(mine[key].monetary_value)) < 1e-6, key

    medians = median_seconds(
        {"lifetimes": lifetimes_side, "pure": pure_side, "columnar": columnar_side},
        rounds=args.rounds,
    )
    report(
        f"BTYD summary of {len(shipments):,} shipments (medians of {args.rounds} rounds)",
        [
            ("lifetimes summary_data_from_transaction_data", f"{medians['lifetimes']:.2f} s", ""),
            (
                "summarize + btyd_summary (pure Python)",
                f"{medians['pure']:.2f} s "
                f"({medians['lifetimes'] / medians['pure']:.2f}x lifetimes' speed)",
                "report",
            ),
            (
                "summarize_frame + btyd_summary",
                f"{medians['columnar']:.2f} s "
                f"({medians['lifetimes'] / medians['columnar']:.2f}x lifetimes' speed)",
                "report",
            ),
        ],
    )


if __name__ == "__main__":
    main()
