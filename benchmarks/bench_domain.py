"""Cost of validation and of reading records: Shipment against a plain attrs class.

Run: python benchmarks/bench_domain.py [--records 200000]

Targets (issue 2): constructing a validated Shipment <= 2x a plain ``attrs.frozen`` class with
the same fields and no validators; ``from_dict`` of a shipment <= 3x that same baseline.
Both are timed over the same records in the same run, in interleaved rounds; medians shown.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

import attrs
from _harness import median_seconds, report

from logicrm import Money, Shipment
from logicrm.sample import generate_shipments
from logicrm.serialization import from_dict, to_dict


@attrs.frozen(kw_only=True)
class PlainShipment:
    """The baseline: Shipment's fields, no validators, no converters."""

    id: str
    customer_id: str
    ordered_at: datetime
    promised_at: datetime
    revenue: Money
    cost: Money
    units_ordered: int
    units_delivered: int = 0
    units_damaged: int = 0
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    invoice_error: bool = False
    stockout: bool = False
    substituted: bool = False
    rerouted: bool = False
    returned: bool = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    shipments = list(generate_shipments(args.records, customers=5_000))
    kwargs: list[dict[str, Any]] = [
        {f.name: getattr(s, f.name) for f in attrs.fields(Shipment)} for s in shipments
    ]
    records = [to_dict(s) for s in shipments]
    assert [from_dict(Shipment, r) for r in records[:1000]] == shipments[:1000]

    def plain() -> None:
        for k in kwargs:
            PlainShipment(**k)

    def validated() -> None:
        for k in kwargs:
            Shipment(**k)

    def from_dicts() -> None:
        for r in records:
            from_dict(Shipment, r)

    medians = median_seconds(
        {"plain": plain, "validated": validated, "from_dict": from_dicts}, rounds=args.rounds
    )
    per = {name: seconds / args.records * 1e6 for name, seconds in medians.items()}
    report(
        f"Shipment construction over {args.records:,} records (median of {args.rounds} rounds)",
        [
            ("plain attrs.frozen (baseline)", f"{per['plain']:.2f} us/record", ""),
            (
                "validated Shipment",
                f"{per['validated']:.2f} us ({per['validated'] / per['plain']:.2f}x)",
                "target <= 2x",
            ),
            (
                "from_dict(Shipment, record)",
                f"{per['from_dict']:.2f} us ({per['from_dict'] / per['plain']:.2f}x)",
                "target <= 3x",
            ),
        ],
    )


if __name__ == "__main__":
    main()
