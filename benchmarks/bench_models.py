"""Fitting BG/NBD and Gamma-Gamma: logicrm.models against lifetimes (and pymc-marketing).

Run: python benchmarks/bench_models.py [--customers 100000] [--rounds 3]
(needs the ``models`` extra; lifetimes and pymc-marketing are timed when they import).

Two data sets: the CDNOW sample (2,357 customers, tests/data) and ``--customers`` drawn from
a BG/NBD with CDNOW's parameters over 52 weeks, with Gamma-Gamma spends. Every side fits the
same columns; the script prints each side's estimates so you can see they agree.
"""

from __future__ import annotations

import argparse
import csv
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _harness import median_seconds, report

from logicrm.models import BetaGeoModel, GammaGammaModel

CDNOW = Path(__file__).parents[1] / "tests" / "data" / "cdnow_summary.csv"


def cdnow() -> dict[str, np.ndarray]:
    with CDNOW.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(r[key]) for r in rows]) for key in ("x", "t_x", "T", "zbar")}


def generated(customers: int) -> dict[str, np.ndarray]:
    x, t_x, big_t = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426).simulate(
        customers, T=52, seed=1
    )
    rng = np.random.default_rng(2)
    nu = rng.gamma(3.74, 1 / 15.44, customers)
    spend = np.array(
        [rng.gamma(6.25, 1 / nu[i], int(n)).mean() if n else 0.0 for i, n in enumerate(x)]
    )
    return {"x": x, "t_x": t_x, "T": big_t, "zbar": spend}


def candidates(data: dict[str, np.ndarray]) -> dict[str, Callable[[], object]]:
    found: dict[str, Callable[[], object]] = {
        "logicrm BG/NBD": lambda: BetaGeoModel.fit_columns(data["x"], data["t_x"], data["T"]),
        "logicrm Gamma-Gamma": lambda: GammaGammaModel.fit_columns(data["x"], data["zbar"]),
    }
    try:
        import pandas as pd
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        print("lifetimes is not installed (pip install lifetimes): not compared")
    else:
        frame = pd.DataFrame(data)
        repeat = frame[frame["x"] > 0]
        found["lifetimes BG/NBD"] = lambda: BetaGeoFitter().fit(
            frame["x"], frame["t_x"], frame["T"]
        )
        found["lifetimes Gamma-Gamma"] = lambda: GammaGammaFitter().fit(repeat["x"], repeat["zbar"])
    try:
        import pandas as pd
        from pymc_marketing.clv import BetaGeoModel as PymcBetaGeo
    except ImportError:
        print("pymc-marketing is not installed: not compared")
    else:
        pymc_frame = pd.DataFrame(
            {
                "customer_id": np.arange(len(data["x"])),
                "frequency": data["x"],
                "recency": data["t_x"],
                "T": data["T"],
            }
        )

        def pymc_fit() -> object:
            model = PymcBetaGeo(data=pymc_frame)
            model.fit(method="map", progressbar=False)
            return model

        found["pymc-marketing BG/NBD (MAP)"] = pymc_fit
    return found


def estimates(fitted: object) -> str:
    if isinstance(fitted, BetaGeoModel | GammaGammaModel):
        return ", ".join(f"{k}={v:.4g}" for k, v in fitted.params.items())
    params = getattr(fitted, "params_", None)
    if params is not None:
        return ", ".join(f"{k}={v:.4g}" for k, v in params.items())
    summary = getattr(fitted, "fit_summary", None)
    if summary is None:
        return "?"
    table = summary()
    values = table["mean"] if hasattr(table, "columns") else table
    return ", ".join(f"{k}={float(v):.4g}" for k, v in values.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for title, data in (
        ("CDNOW sample, 2,357 customers", cdnow()),
        (f"generated, {args.customers:,} customers", generated(args.customers)),
    ):
        calls = candidates(data)
        print(f"\n{title}: estimates")
        for name, call in calls.items():
            print(f"  {name}: {estimates(call())}")
        times = median_seconds(calls, rounds=args.rounds)
        rows = []
        for name, seconds in times.items():
            ours = "logicrm " + name.split(" ", 1)[1].split(" (")[0]
            base = times.get(ours, seconds)
            rows.append((name, f"{seconds:.3f} s", f"{seconds / base:.2f}x logicrm's time"))
        report(f"{title}: median fit time of {args.rounds} interleaved rounds", rows)


if __name__ == "__main__":
    main()
