"""`logicrm backtest` at TMS scale, against one `logicrm score` of the same file.

Run: python benchmarks/bench_backtest.py [--rows 1000000] [--customers 20000] [--rounds 3]
                                         [--engine columnar] [--folder DIR]

Issue 24 asks for the time of a backtest on the columnar engine at 1M shipments against one
``logicrm score`` of the same data. Both are whole processes (imports, reading, assessing,
printing or writing), run in interleaved rounds on one seeded Parquet file; the figures are
the medians and their ratio, measured in the same run. The backtest reads the file once,
summarising it at the cut-off and at the end of the horizon in the same pass, and assesses
every customer with the object facade (``assess_all``); ``score -o FILE.csv`` assesses from
the columnar table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _harness import report
from _synthetic import AS_OF, shipments_frame, write_parquet

CUTOFF = AS_OF - timedelta(days=180)


def run(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[2:5])} failed:\n{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", choices=("columnar", "python"), default="columnar")
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench_backtest_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"shipments_{args.rows}.parquet"
    if not path.exists():
        write_parquet(shipments_frame(args.rows, args.customers), path)
    logicrm = [sys.executable, "-m", "logicrm"]
    commands = {
        "score": [*logicrm, "score", str(path), "--as-of", CUTOFF.isoformat(),
                  "--engine", args.engine, "-o", str(folder / "scores.csv"), "--no-progress"],
        "backtest": [*logicrm, "backtest", str(path), "--cutoff", CUTOFF.isoformat(),
                     "--horizon", "180", "--engine", args.engine, "--no-progress",
                     "--rejects", str(folder / "rejects.jsonl")],
    }  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            samples[name].append(run(command))
    score = statistics.median(samples["score"])
    backtest = statistics.median(samples["backtest"])
    report(
        f"{args.rows:,} shipments, {args.customers:,} customers, {args.engine} engine, "
        f"median of {args.rounds} interleaved rounds",
        [
            ("logicrm score", f"{score:.1f} s", "one assessment, written to CSV"),
            ("logicrm backtest", f"{backtest:.1f} s", "assess at the cut-off + horizon"),
            ("ratio", f"{backtest / score:.2f}x", "backtest / score"),
        ],
    )


if __name__ == "__main__":
    main()
