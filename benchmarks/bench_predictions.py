"""Predictions for many customers at once: logicrm's column methods against lifetimes.

Run it where lifetimes is installed (``pip install 'logicrm[models]' lifetimes``), for example
in a side virtual environment, so that both libraries run in one process on the same data:

    python benchmarks/bench_predictions.py --customers 1000000

It simulates BG/NBD histories (seed 1) and Gamma-Gamma spend (seed 2) at the published
CDNOW parameters, checks that both libraries give the same figures, then prints the median
of interleaved rounds for each prediction and lifetimes' time over logicrm's. Without
lifetimes it times logicrm alone.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from logicrm.models import LIFETIMES_WEEKLY_MONTH, BetaGeoModel, GammaGammaModel, clv_columns

PURCHASES = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
SPEND = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
HORIZON_WEEKS = 52.0


def simulated(customers: int) -> dict[str, np.ndarray]:
    x, t_x, big_t = PURCHASES.simulate(customers, T=52, seed=1)
    rng = np.random.default_rng(2)
    nu = rng.gamma(3.74, 1 / 15.44, customers)
    spend = np.zeros(customers)
    buyers = x > 0
    spend[buyers] = rng.gamma(6.25 * x[buyers], 1 / (nu[buyers] * x[buyers]))
    return {"x": x, "t_x": t_x, "T": big_t, "m": spend}


def ours(data: dict[str, np.ndarray]) -> dict[str, Callable[[], np.ndarray]]:
    x, t_x, big_t, m = data["x"], data["t_x"], data["T"], data["m"]
    return {
        "P(alive)": lambda: PURCHASES.probability_alive_columns(x, t_x, big_t),
        "E[Y(52 weeks)]": lambda: PURCHASES.conditional_expected_purchases_columns(
            x, t_x, big_t, HORIZON_WEEKS
        ),
        "expected spend": lambda: SPEND.expected_spend_columns(x, m),
        "CLV, 12 months": lambda: clv_columns(
            x, t_x, big_t, m, purchases=PURCHASES, spend=SPEND, margin=1.0,
            period=LIFETIMES_WEEKLY_MONTH,
        ),
    }  # fmt: skip


def theirs(data: dict[str, np.ndarray]) -> dict[str, Callable[[], np.ndarray]] | None:
    try:
        import pandas as pd
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        return None
    bg = BetaGeoFitter()
    bg.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    gg = GammaGammaFitter()
    gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    x, t_x, big_t, m = (pd.Series(data[k]) for k in ("x", "t_x", "T", "m"))
    return {
        "P(alive)": lambda: np.asarray(bg.conditional_probability_alive(x, t_x, big_t)),
        "E[Y(52 weeks)]": lambda: np.asarray(bg.predict(HORIZON_WEEKS, x, t_x, big_t)),
        "expected spend": lambda: np.asarray(gg.conditional_expected_average_profit(x, m)),
        "CLV, 12 months": lambda: np.asarray(
            gg.customer_lifetime_value(bg, x, t_x, big_t, m, time=12, freq="W")
        ),
    }


def timed(function: Callable[[], object], rounds: list[float]) -> None:
    start = time.perf_counter()
    function()
    rounds.append(time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = simulated(args.customers)
    mine = ours(data)
    other = theirs(data)
    if other is None:
        print("lifetimes is not installed (pip install lifetimes): logicrm alone")
    else:
        for name in mine:
            gap = float(np.max(np.abs(mine[name]() - other[name]())))
            print(f"{name}: largest difference from lifetimes {gap:.2e}")
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):  # interleaved, so both see the same machine
        for name, function in mine.items():
            timed(function, times.setdefault(("logicrm", name), []))
            if other is not None:
                timed(other[name], times.setdefault(("lifetimes", name), []))
    print(f"\n{args.customers:,} customers, median of {args.rounds} rounds")
    print(f"{'prediction':<18} {'logicrm':>10} {'lifetimes':>10} {'lifetimes / logicrm':>20}")
    for name in mine:
        ours_s = statistics.median(times["logicrm", name])
        if other is None:
            print(f"{name:<18} {ours_s:>9.3f}s")
            continue
        theirs_s = statistics.median(times["lifetimes", name])
        print(f"{name:<18} {ours_s:>9.3f}s {theirs_s:>9.3f}s {theirs_s / ours_s:>19.1f}x")


if __name__ == "__main__":
    main()
