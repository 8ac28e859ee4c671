"""What reading a file with every rule for bad input costs: ``io.read`` against a bare
``csv.DictReader`` feeding ``from_dict`` (no encoding checks, no ragged or duplicate rows,
no header checks), on the same CSV in the same run.

    python benchmarks/bench_readers.py --rows 200000

Prints the median of interleaved rounds for each and the ratio.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import logicrm as lc
from logicrm import io
from logicrm.sample import generate_shipments
from logicrm.serialization import from_dict


def bare(path: Path) -> int:
    """The floor: the csv module, the cells nested into records, from_dict; nothing else."""
    count = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            record: dict[str, object] = {}
            for key, value in row.items():
                if value == "":
                    continue
                head, _, tail = key.partition(".")
                if tail:
                    record.setdefault(head, {})[tail] = value  # type: ignore[index]
                elif key.startswith("units_"):
                    record[key] = int(value)
                elif key in ("invoice_error", "stockout", "substituted", "rerouted", "returned"):
                    record[key] = value == "True"
                else:
                    record[key] = value
            from_dict(lc.Shipment, record)
            count += 1
    return count


def ruled(path: Path) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return len(io.read(path, lc.Shipment).ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shipments.csv"
        io.write(path, generate_shipments(args.rows, customers=2_000, seed=4),
                 spreadsheet_safe=False)  # fmt: skip
        candidates: dict[str, Callable[[Path], int]] = {"bare csv + from_dict": bare,
                                                        "io.read": ruled}  # fmt: skip
        assert bare(path) == ruled(path) == args.rows  # the same rows, all read
        times: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(args.rounds):
            for name, read in candidates.items():
                start = time.perf_counter()
                read(path)
                times[name].append(time.perf_counter() - start)
    floor = statistics.median(times["bare csv + from_dict"])
    print(f"{args.rows:,} CSV rows, median of {args.rounds} interleaved rounds")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<22} {median:6.2f} s  {median / floor:5.2f}x the bare reader")


if __name__ == "__main__":
    main()
