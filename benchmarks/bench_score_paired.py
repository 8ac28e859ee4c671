"""`logicrm score` paired with another checkout and with DuckDB, in interleaved rounds.

Run: python benchmarks/bench_score_paired.py --baseline /work/main/.venv/bin/python
         --folder DIR [--rounds 3] [--big]

Each round runs, one after the other, the baseline interpreter's ``logicrm score`` (another
checkout, e.g. main), this checkout's, and the DuckDB script of ``bench_score.py`` on the
same Parquet file (1M shipments with 20k and 165k customers; ``--big`` adds 10M / 1M, one
round). The outputs of the two checkouts are compared byte for byte; the table gives the
medians, the ratios, the peak RSS and this checkout's phase times (``--progress``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from _synthetic import shipments_frame, write_parquet
from bench_score import duckdb_run, run


def _phases(stderr: str) -> list[str]:
    return [line.split("\r")[-1] for line in stderr.splitlines() if line.endswith(" s]")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="the other checkout's python")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also 10M shipments, 1M customers")
    parser.add_argument("--only-big", action="store_true", help="only 10M / 1M")
    parser.add_argument("--formats", default="csv")
    args = parser.parse_args()
    sizes = [] if args.only_big else [(1_000_000, 20_000), (1_000_000, 165_000)]
    sizes += [(10_000_000, 1_000_000)] * (args.big or args.only_big)
    for rows, customers in sizes:
        path = args.folder / f"shipments_{rows // 1_000_000}m_{customers // 1000}k.parquet"
        if not path.exists():
            write_parquet(shipments_frame(rows, customers), path)
        rounds = 1 if rows >= 10_000_000 else args.rounds
        for fmt in args.formats.split(","):
            times: dict[str, list[float]] = {"baseline": [], "new": [], "duckdb": []}
            rss: dict[str, int] = {"baseline": 0, "new": 0, "duckdb": 0}
            phases: dict[str, list[str]] = {}
            for _ in range(rounds):
                for who, python in (("baseline", args.baseline), ("new", sys.executable)):
                    output = args.folder / f"out_{who}_{path.stem}.{fmt}"
                    seconds, peak, stderr = run(
                        path, "columnar", output, progress=True, python=python
                    )
                    times[who].append(seconds)
                    rss[who] = max(rss[who], peak)
                    phases[who] = _phases(stderr)
                duck = duckdb_run(path)
                if duck is not None:
                    times["duckdb"].append(duck[0])
                    rss["duckdb"] = max(rss["duckdb"], duck[1])
            old = args.folder / f"out_baseline_{path.stem}.{fmt}"
            new = args.folder / f"out_new_{path.stem}.{fmt}"
            same = old.read_bytes() == new.read_bytes()
            median = {k: statistics.median(v) for k, v in times.items() if v}
            print(f"\n{path.name} -> {fmt} ({rounds} rounds, outputs identical: {same})")
            for who, value in median.items():
                peak = f"  peak RSS {rss[who] / 2**20:,.0f} MB"
                every = ", ".join(f"{t:.2f}" for t in times[who])
                print(f"  {who:9} median {value:6.2f} s  (all: {every}){peak}")
            print(f"  baseline / new {median['baseline'] / median['new']:.2f}x", end="")
            if "duckdb" in median:
                print(f"; new / DuckDB {median['new'] / median['duckdb']:.2f}x", end="")
            print()
            for who, said in phases.items():
                print(f"  phases of the {who} run: " + "; ".join(said))
            if not same:
                raise SystemExit("the outputs differ")


if __name__ == "__main__":
    main()
