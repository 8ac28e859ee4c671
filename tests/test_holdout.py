"""Calibration and holdout: the split, lifetimes' figures on CDNOW, Pareto/NBD, and the checks."""

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import shipment

import logicrm as lc
from logicrm.errors import ValidationError
from logicrm.models import (
    BetaGeoModel,
    ParetoNbdModel,
    holdout_check,
    repeat_purchases_by_period,
)

DATA = Path(__file__).parent / "data"
CAL_END, OBS_END = date(1997, 9, 30), date(1998, 6, 30)
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie and Lee 2005
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # Fader and Hardie 2005


def cdnow_shipments():
    """The CDNOW sample's 6,919 purchases as shipments (noon UTC on the purchase day)."""
    rows = []
    for number, line in enumerate((DATA / "CDNOW_sample.txt").read_text().splitlines()):
        _, customer, day, _, amount = line.split()
        at = datetime.strptime(day, "%Y%m%d").replace(hour=12, tzinfo=UTC)
        rows.append(
            lc.Shipment(
                id=f"T{number}",
                customer_id=str(int(customer)),
                ordered_at=at,
                promised_at=at,
                revenue=lc.Money(amount, "USD"),
                cost=lc.Money(0, "USD"),
                units_ordered=1,
            )
        )
    return rows


@pytest.fixture(scope="module")
def cdnow_split():
    return lc.calibration_and_holdout(
        cdnow_shipments(), calibration_end=CAL_END, observation_end=OBS_END
    )


@pytest.fixture(scope="module")
def lifetimes_split():
    pd = pytest.importorskip("pandas")
    utils = pytest.importorskip("lifetimes.utils")
    frame = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master", "id", "date", "cds", "amount"],
    )
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return utils.calibration_and_holdout_data(
        frame,
        "id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="D",
        freq_multiplier=7,
        monetary_value_col="amount",
    )


# --- the split, by hand ---------------------------------------------------------------------

DAY = timedelta(days=1)
START = datetime(2026, 1, 5, 10, tzinfo=UTC)


def test_the_split_counts_calibration_days_and_holdout_days_by_hand():
    # Calibration to 2026-01-26: orders on days 0, 0, 7 and 21 (three distinct days, so two
    # repeats; recency 21 days = 3 weeks; T 21 days = 3 weeks). Holdout to 2026-02-09: day
    # 22 twice (one day, two orders of 100 and 300) and day 35: two days, 400 over 3 orders.
    book = [
        shipment(
            id=f"S{n}",
            ordered_at=START + d * DAY,
            promised_at=START + d * DAY,
            shipped_at=None,
            delivered_at=None,
            revenue=lc.Money(amount, "CNY"),
        )
        for n, (d, amount) in enumerate(
            [(0, "50"), (0, "50"), (7, "30"), (21, "90"), (22, "100"), (22, "300"), (35, "0")]
        )
    ]
    later = shipment(
        id="L",
        customer_id="C2",
        ordered_at=START + 30 * DAY,
        promised_at=START + 30 * DAY,
        shipped_at=None,
        delivered_at=None,
    )
    split = lc.calibration_and_holdout(
        [*book, later], calibration_end=date(2026, 1, 26), observation_end=date(2026, 2, 9)
    )
    assert set(split) == {"C1"}  # C2 first ordered in the holdout: no calibration summary
    row = split["C1"]
    calibration = row.calibration
    assert (calibration.frequency, calibration.recency, calibration.T) == (2, 3.0, 3.0)
    assert calibration.monetary_value == Decimal("60")  # (30 + 90) / 2 repeat days
    assert (row.frequency_holdout, row.duration_holdout) == (2, 2.0)
    assert row.monetary_value_holdout == Decimal("400") / 3  # per order, as lifetimes


def test_the_split_refuses_an_observation_end_before_the_calibration_end():
    with pytest.raises(ValidationError) as caught:
        lc.calibration_and_holdout([], calibration_end=OBS_END, observation_end=CAL_END)
    assert caught.value.field == "observation_end"


# --- CDNOW against lifetimes ----------------------------------------------------------------


def test_the_cdnow_split_equals_lifetimes_customer_by_customer(cdnow_split, lifetimes_split):
    assert len(cdnow_split) == len(lifetimes_split) == 2357
    for customer, expected in lifetimes_split.iterrows():
        row = cdnow_split[str(customer)]
        calibration = row.calibration
        assert calibration.frequency == expected["frequency_cal"]
        assert calibration.recency == pytest.approx(expected["recency_cal"], abs=1e-12)
        assert pytest.approx(expected["T_cal"], abs=1e-12) == calibration.T
        assert float(calibration.monetary_value) == pytest.approx(
            expected["monetary_value_cal"], abs=1e-9
        )
        assert row.frequency_holdout == expected["frequency_holdout"]
        assert float(row.monetary_value_holdout) == pytest.approx(
            expected["monetary_value_holdout"], abs=1e-9
        )
        assert row.duration_holdout == expected["duration_holdout"] == 39.0


def test_the_cdnow_calibration_is_the_published_summary(cdnow_split):
    with (DATA / "cdnow_summary.csv").open(newline="") as handle:
        published = {row["ID"]: row for row in csv.DictReader(handle)}
    for key, row in cdnow_split.items():
        printed = published[key]
        assert row.calibration.frequency == int(printed["x"])
        assert round(row.calibration.recency, 2) == float(printed["t_x"])
        assert round(row.calibration.T, 2) == float(printed["T"])


def test_bg_nbd_holdout_predictions_by_frequency_match_lifetimes(cdnow_split, lifetimes_split):
    fitters = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    fitter = fitters.BetaGeoFitter()
    fitter.params_ = pd.Series(BG)
    frame = lifetimes_split.copy()
    frame["model_predictions"] = fitter.conditional_expected_number_of_purchases_up_to_time(
        39.0, frame["frequency_cal"], frame["recency_cal"], frame["T_cal"]
    )
    expected = frame.groupby("frequency_cal")[["frequency_holdout", "model_predictions"]].mean()
    check = holdout_check(BetaGeoModel(**BG), cdnow_split.values())
    assert [r.frequency for r in check.by_frequency] == list(expected.index)
    for row in check.by_frequency:
        assert row.actual == pytest.approx(
            expected.loc[row.frequency, "frequency_holdout"], abs=1e-9
        )
        assert row.predicted == pytest.approx(
            expected.loc[row.frequency, "model_predictions"], abs=1e-9
        )


def test_pareto_nbd_reproduces_the_published_cdnow_estimates():
    # Fader and Hardie, "A note on deriving the Pareto/NBD model and related expressions"
    # (2005): r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67, LL = -9595.0 on CDNOW.
    with (DATA / "cdnow_summary.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    model = ParetoNbdModel.fit_columns(
        [float(r["x"]) for r in rows],
        [float(r["t_x"]) for r in rows],
        [float(r["T"]) for r in rows],
    )
    printed = {name: round(value, 2) for name, value in model.params.items()}
    assert printed == {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
    assert round(model.log_likelihood, 1) == -9595.0
    assert (model.customers, model.repeat_customers) == (2357, 946)
    assert all(
        0 < error < value
        for value, error in zip(model.params.values(), model.standard_errors.values(), strict=True)
    )


def test_pareto_nbd_predictions_match_lifetimes_at_the_same_parameters(cdnow_split):
    fitters = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    fitter = fitters.ParetoNBDFitter()
    fitter.params_ = pd.Series(PARETO)
    model = ParetoNbdModel(**PARETO)
    rows = list(cdnow_split.values())
    x = np.array([r.calibration.frequency for r in rows], dtype=float)
    t_x = np.array([r.calibration.recency for r in rows])
    big_t = np.array([r.calibration.T for r in rows])
    np.testing.assert_allclose(
        model.probability_alive_columns(x, t_x, big_t),
        fitter.conditional_probability_alive(x, t_x, big_t),
        rtol=0,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        model.conditional_expected_purchases_columns(x, t_x, big_t, 39),
        fitter.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, big_t),
        rtol=0,
        atol=1e-9,
    )
    assert model.expected_purchases(39) == pytest.approx(
        fitter.expected_number_of_purchases_up_to_time(39), abs=1e-9
    )


def test_pareto_nbd_by_hand_for_a_customer_without_repeats():
    # x = 0, t_x = 0, T = 10 with r = 1, alpha = 1, s = 1, beta = 1: the likelihood is
    # 1/(11 * 11) + (1/2) (1/1^2 - 1/11^2), as alpha = beta makes every 2F1(.; 0) = 1: so
    # P(alive) = (1/121) / (1/121 + 60/121) = 1/61.
    model = ParetoNbdModel(r=1.0, alpha=1.0, s=1.0, beta=1.0)
    alive_term = 1 / 121
    died_term = 0.5 * (1 - 1 / 121)
    assert model.probability_alive_columns([0], [0], [10])[0] == pytest.approx(
        alive_term / (alive_term + died_term), rel=1e-12
    )
    # E[X(t)] with s = 1 is r beta / alpha * log((beta + t) / beta) = log 11 for t = 10.
    assert model.expected_purchases(10) == pytest.approx(np.log(11), rel=1e-12)


def test_pareto_nbd_fit_recovers_simulated_parameters():
    truth = ParetoNbdModel(r=0.5, alpha=8.0, s=0.8, beta=12.0)
    fitted = ParetoNbdModel.fit_columns(*truth.simulate(20_000, T=52, seed=3))
    for name, value in truth.params.items():
        assert abs(fitted.params[name] - value) < 3 * fitted.standard_errors[name], name


def test_pareto_nbd_needs_a_repeat_customer():
    with pytest.raises(ValidationError) as caught:
        ParetoNbdModel.fit_columns([0, 0], [0, 0], [5, 6])
    assert caught.value.field == "frequency"


# --- the checks, by hand ----------------------------------------------------------------------


class Fixed:
    """A model whose predictions are given: P(alive) and expected purchases per frequency."""

    def __init__(self, alive, expected):
        self.alive, self.expected = alive, expected

    def probability_alive_columns(self, frequency, recency, T):
        return np.array([self.alive[int(f)] for f in frequency])

    def conditional_expected_purchases_columns(self, frequency, recency, T, t):
        return np.array([self.expected[int(f)] * t for f in frequency])


def holdout_row(frequency, bought, key):
    calibration = lc.BtydSummary(
        customer_id=key,
        frequency=frequency,
        recency=float(frequency),
        T=10.0,
        monetary_value=Decimal(0),
    )
    return lc.HoldoutSummary(calibration, bought, 2.0, Decimal(0))


def test_holdout_check_by_hand():
    # Frequencies 0, 0, 1 and 3; holdout purchases 0, 1, 2, 0; a 2-unit holdout; the model
    # expects 0.25 a unit at frequency 0, 0.5 at 1 and 1.0 at 3: 0.5, 0.5, 1.0, 2.0.
    rows = [
        holdout_row(0, 0, "a"),
        holdout_row(0, 1, "b"),
        holdout_row(1, 2, "c"),
        holdout_row(3, 0, "d"),
    ]
    model = Fixed(alive={0: 0.5, 1: 0.9, 3: 0.2}, expected={0: 0.25, 1: 0.5, 3: 1.0})
    check = holdout_check(model, rows, min_customers=4)
    assert (check.actual, check.predicted) == (3.0, 4.0)
    assert check.mae == pytest.approx((0.5 + 0.5 + 1.0 + 2.0) / 4)
    assert [(r.frequency, r.customers, r.actual, r.predicted) for r in check.by_frequency] == [
        (0, 2, 0.5, 0.5),
        (1, 1, 2.0, 1.0),
        (3, 1, 0.0, 2.0),
    ]
    # Brier: (0.5 - 0)^2 + (0.5 - 1)^2 + (0.9 - 1)^2 + (0.2 - 0)^2 over 4.
    assert check.brier == pytest.approx((0.25 + 0.25 + 0.01 + 0.04) / 4)
    censored = holdout_check(model, rows, censor=1, min_customers=4)
    assert [(r.frequency, r.customers, r.actual) for r in censored.by_frequency] == [
        (0, 2, 0.5),
        (1, 2, 1.0),
    ]


def test_too_few_customers_give_no_brier_score():
    check = holdout_check(Fixed({0: 0.5}, {0: 1.0}), [holdout_row(0, 1, "a")])
    assert (check.brier, check.reliability) == (None, ())
    assert check.reasons[-1].code == "holdout.too_few_customers"


def test_cdnow_reliability_has_ten_deciles_of_rising_probability(cdnow_split):
    model = BetaGeoModel(**BG)
    check = holdout_check(model, cdnow_split.values(), censor=7)
    assert [r.decile for r in check.reliability] == list(range(1, 11))
    assert sum(r.customers for r in check.reliability) == 2357
    means = [r.mean_probability for r in check.reliability]
    assert means == sorted(means)
    assert check.by_frequency[-1].frequency == 7
    # BG/NBD holds every customer without a repeat purchase alive (P = 1), and most of them
    # did not buy again: the Brier score punishes that; Pareto/NBD lets them die unseen.
    pareto = holdout_check(ParetoNbdModel(**PARETO), cdnow_split.values())
    assert pareto.brier < 0.25 < check.brier


def test_bg_nbd_and_pareto_nbd_side_by_side_on_cdnow(cdnow_split):
    bg = holdout_check(BetaGeoModel(**BG), cdnow_split.values())
    pareto = holdout_check(ParetoNbdModel(**PARETO), cdnow_split.values())
    # 1,882 repeat purchase days in the 39-week holdout; both models expect about 12% fewer
    # (1,654 and 1,666), and the two agree with each other within 1%.
    assert bg.actual == pareto.actual == sum(r.frequency_holdout for r in cdnow_split.values())
    assert bg.actual == 1882
    assert round(bg.predicted) == 1654 and round(pareto.predicted) == 1666


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.lists(st.integers(min_value=0, max_value=24 * 60), min_size=1, max_size=15),
        min_size=1,
    ),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=30),
)
def test_the_split_is_the_calibration_summary_plus_the_holdout_days(book, cal_days, hold_days):
    # Orders every few hours over 60 days; the split's calibration row is btyd_summary at
    # the end of its last day, and its holdout counts the distinct UTC days after it.
    shipments = [
        shipment(id=f"{key}{n}", customer_id=key, ordered_at=START + h * timedelta(hours=1),
                 promised_at=START + h * timedelta(hours=1), shipped_at=None, delivered_at=None)
        for key, hours in book.items()
        for n, h in enumerate(hours)
    ]  # fmt: skip
    cal_end = START.date() + timedelta(days=cal_days)
    obs_end = cal_end + timedelta(days=hold_days)
    split = lc.calibration_and_holdout(shipments, calibration_end=cal_end, observation_end=obs_end)
    cal_moment = datetime.combine(cal_end, datetime.max.time(), tzinfo=UTC)
    activities = lc.summarize(shipments, as_of=cal_moment)
    assert set(split) == {k for k, a in activities.items() if a.orders}
    for key, row in split.items():
        assert row.calibration == lc.btyd_summary(activities[key], as_of=cal_moment)
        days = {s.ordered_at.date() for s in shipments if s.customer_id == key}
        later = {d for d in days if cal_end < d <= obs_end}
        assert row.frequency_holdout == len(later)
        assert row.duration_holdout == hold_days / 7


class Linear:
    """A model expecting one repeat purchase per unit of time since the trial."""

    unit = timedelta(days=7)

    def expected_purchases(self, t):
        return t


def test_repeat_purchases_by_period_by_hand():
    # A tries on day 0 and buys again on days 3 (twice) and 10; B tries on day 7 and buys
    # again on day 8. Week 1 (days 0-6): one repeat; week 2 (days 7-13): two. Expected with
    # E[X(t)] = t weeks: by the end of day 6, A is 6/7 weeks old; by the end of day 13, A is
    # 13/7 and B 6/7 weeks old, so week 2 expects 19/7 - 6/7 = 13/7.
    def bought(key, day, n):
        at = START + day * DAY
        return shipment(id=f"{key}{n}", customer_id=key, ordered_at=at, promised_at=at,
                        shipped_at=None, delivered_at=None)  # fmt: skip

    book = [bought("A", d, n) for n, d in enumerate([0, 3, 3, 10])]
    book += [bought("B", d, n) for n, d in enumerate([7, 8])]
    activities = lc.summarize(book, as_of=START + 20 * DAY)
    rows = repeat_purchases_by_period(Linear(), activities, start=START.date(), periods=2)
    assert [(r.period, r.ends, r.actual) for r in rows] == [
        (1, START.date() + 6 * DAY, 1),
        (2, START.date() + 13 * DAY, 2),
    ]
    assert [r.expected for r in rows] == pytest.approx([6 / 7, 13 / 7])
    assert (rows[-1].cumulative_actual, rows[-1].cumulative_expected) == (3, pytest.approx(19 / 7))


def test_cdnow_tracking_adds_up_to_the_split_and_stays_near_the_model():
    purchases = cdnow_shipments()
    activities = lc.summarize(purchases, as_of=datetime(1998, 6, 30, 23, tzinfo=UTC))
    rows = repeat_purchases_by_period(
        BetaGeoModel(**BG), activities, start=date(1997, 1, 1), periods=78
    )
    assert rows[-1].ends == OBS_END
    split = lc.calibration_and_holdout(purchases, calibration_end=CAL_END, observation_end=OBS_END)
    repeats = sum(r.calibration.frequency + r.frequency_holdout for r in split.values())
    assert rows[-1].cumulative_actual == repeats
    # The published fit tracks the 78 weeks' cumulative repeat purchases within 10%.
    assert abs(rows[-1].cumulative_expected / repeats - 1) < 0.10


def test_the_holdout_chart_draws_the_actual_line_and_one_per_model(cdnow_split):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from logicrm.plot import holdout_purchases

    checks = {
        "BG/NBD": holdout_check(BetaGeoModel(**BG), cdnow_split.values(), censor=7),
        "Pareto/NBD": holdout_check(ParetoNbdModel(**PARETO), cdnow_split.values(), censor=7),
    }
    ax = holdout_purchases(checks)
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    assert set(lines) == {"actual", "BG/NBD", "Pareto/NBD"}
    assert lines["actual"] == [row.actual for row in checks["BG/NBD"].by_frequency]
    assert lines["Pareto/NBD"] == [row.predicted for row in checks["Pareto/NBD"].by_frequency]
