"""BG/NBD, Gamma-Gamma and CLV: the published CDNOW fits, worked figures, simulations, laws."""

import csv
import math
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

import logicrm as lc
from logicrm.errors import ValidationError
from logicrm.models import (
    CALENDAR_MONTH,
    LIFETIMES_WEEKLY_MONTH,
    BetaGeoModel,
    ClvValue,
    FitError,
    GammaGammaModel,
    clv,
    clv_columns,
)
from logicrm.models._fit import _maximise
from logicrm.models._gamma_gamma import _gg_total
from logicrm.sample import sample_dataset
from logicrm.scoring import BtydSummary, btyd_summary, summarize, value_score

CDNOW = Path(__file__).parent / "data" / "cdnow_summary.csv"
PUBLISHED = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def cdnow():
    with CDNOW.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(r[key]) for r in rows]) for key in ("x", "t_x", "T", "zbar")}


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    return BetaGeoModel.fit_columns(cdnow["x"], cdnow["t_x"], cdnow["T"])


def row(x, t_x, big_t, spend="0"):
    return BtydSummary("C1", frequency=x, recency=t_x, T=big_t, monetary_value=Decimal(spend))


# --- the literature -------------------------------------------------------------------------


def test_bg_nbd_reproduces_the_published_cdnow_estimates(cdnow_fit):
    # Fader, Hardie and Lee (2005), section 5: r = 0.243, alpha = 4.414, a = 0.793,
    # b = 2.426, LL = -9582.4, on 2,357 CDNOW customers over a 39-week calibration period.
    fitted = cdnow_fit.params
    assert {k: round(v, 3) for k, v in fitted.items()} == PUBLISHED.params
    assert round(cdnow_fit.log_likelihood, 1) == -9582.4
    assert (cdnow_fit.customers, cdnow_fit.repeat_customers) == (2357, 946)
    for name, error in cdnow_fit.standard_errors.items():
        assert 0 < error < fitted[name]


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow):
    # Fader and Hardie (2013), "The Gamma-Gamma model of monetary value": p = 6.25,
    # q = 3.74, gamma = 15.44 on the 946 repeat customers. The shipped spends are rounded
    # to cents, which moves gamma in its second decimal (15.448), hence the tolerance.
    model = GammaGammaModel.fit_columns(cdnow["x"], cdnow["zbar"])
    assert model.customers == 946
    assert (round(model.p, 2), round(model.q, 2)) == (6.25, 3.74)
    assert model.gamma == pytest.approx(15.44, abs=0.01)
    assert model.reasons[-1].code == "gamma_gamma.correlation.ok"
    assert abs(model.correlation) < 0.3


def test_conditional_expectation_matches_the_papers_example():
    # FHL 2005 work the customer with x = 2, t_x = 30.43, T = 38.86 through eq. (10):
    # 1.226 expected repeat purchases in the next 39 weeks.
    assert PUBLISHED.conditional_expected_purchases(row(2, 30.43, 38.86), 39) == (
        pytest.approx(1.226, abs=5e-4)
    )


# --- worked figures against the formulas written out directly --------------------------------


def direct_conditional(model, x, t_x, big_t, t):
    """FHL 2005 eq. (10) as printed, without the library's transformation (small x only)."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    z = t / (alpha + big_t + t)
    head = (a + b + x - 1) / (a - 1)
    body = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    dead = (a / (b + x - 1)) * ((alpha + big_t) / (alpha + t_x)) ** (r + x) if x else 0
    return head * body / (1 + dead)


@pytest.mark.parametrize(
    ("x", "t_x", "big_t"), [(0, 0, 30), (1, 5, 30), (7, 29.5, 30), (25, 50, 80)]
)
def test_conditional_expectation_equals_the_printed_formula(x, t_x, big_t):
    for t in (1, 13, 52):
        expected = direct_conditional(PUBLISHED, x, t_x, big_t, t)
        assert PUBLISHED.conditional_expected_purchases(row(x, t_x, big_t), t) == (
            pytest.approx(expected, rel=1e-9)
        )


def test_probability_alive_by_hand():
    # x = 3, t_x = 20, T = 30: a / (b + x - 1) = 0.793 / 4.426 = 0.179169;
    # ((4.414 + 30) / (4.414 + 20)) ** 3.243 = 1.409601 ** 3.243 = 3.044521;
    # P(alive) = 1 / (1 + 0.179169 * 3.044521) = 0.647047.
    assert PUBLISHED.probability_alive(row(3, 20, 30)) == pytest.approx(0.647047, abs=1e-6)
    assert PUBLISHED.probability_alive(row(0, 0, 30)) == 1.0


def test_expected_purchases_of_a_new_customer_by_hand():
    # E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    t = 39
    expected = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    assert PUBLISHED.expected_purchases(t) == pytest.approx(expected, rel=1e-9)
    assert PUBLISHED.expected_purchases(0) == 0.0


def test_gamma_gamma_expected_spend_by_hand():
    # (gamma + m x) p / (p x + q - 1) = (15.44 + 22.35 * 2) * 6.25 / (12.5 + 2.74) = 24.6637
    model = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    assert model.expected_spend(row(2, 30.43, 38.86, "22.35")) == pytest.approx(24.6637, abs=1e-4)
    # no repeat purchase: the population mean p gamma / (q - 1) = 96.5 / 2.74 = 35.2190
    assert model.expected_spend(row(0, 0, 38.86)) == pytest.approx(35.2190, abs=1e-4)


# --- numerical stability -----------------------------------------------------------------------


def test_heavy_buyers_neither_overflow_nor_lose_precision():
    # A customer with thousands of repeat orders, active to the end: about 19 a week.
    heavy = row(2000, 103.9, 104)
    alive = PUBLISHED.probability_alive(heavy)
    expected = PUBLISHED.conditional_expected_purchases(heavy, 1)
    assert 0.99 < alive <= 1
    assert 15 < expected < 22
    # the same customer silent for the last 10 weeks is certainly gone
    assert PUBLISHED.probability_alive(row(2000, 94, 104)) < 1e-50
    # where the printed formula's power (108.4 / 98.4) ** 20000 overflows a float
    gone = row(20_000, 94, 104)
    assert PUBLISHED.probability_alive(gone) == 0.0
    assert PUBLISHED.conditional_expected_purchases(gone, 52) == 0.0
    busy = row(20_000, 104, 104)
    # posterior mean rate (r + x) / (alpha + T) = 20000.243 / 108.414 = 184.48 a week,
    # less the small chance (about 1%) of dropping out among those purchases
    assert PUBLISHED.conditional_expected_purchases(busy, 1) == pytest.approx(184.48, rel=0.01)
    fitted = BetaGeoModel.fit_columns(
        [0, 1, 3, 800, 2, 0, 5, 1500], [0, 3, 20, 51.9, 10, 0, 40, 52], [52] * 8
    )
    assert math.isfinite(fitted.log_likelihood)


# --- simulations: the fit recovers the parameters that generated the data -------------------


def test_fit_recovers_simulated_bg_nbd_parameters():
    truth = {"r": 0.8, "alpha": 5.0, "a": 1.2, "b": 3.0}
    x, t_x, big_t = BetaGeoModel(**truth).simulate(12_000, T=52, seed=7)
    assert (x.min(), t_x.max()) == (0, pytest.approx(52, abs=0.5))
    assert np.all((t_x <= big_t) & ((x > 0) == (t_x > 0)))
    model = BetaGeoModel.fit_columns(x, t_x, big_t)
    for name, value in truth.items():
        assert abs(model.params[name] - value) < 3 * model.standard_errors[name] + 0.05 * value


def test_fit_recovers_simulated_gamma_gamma_parameters():
    rng = np.random.default_rng(11)
    p, q, gamma = 4.0, 3.0, 20.0
    n = 8_000
    x = rng.integers(1, 15, n).astype(float)
    nu = rng.gamma(q, 1 / gamma, n)
    means = np.array([rng.gamma(p, 1 / nu[i], int(x[i])).mean() for i in range(n)])
    model = GammaGammaModel.fit_columns(x, means)
    for name, value in {"p": p, "q": q, "gamma": gamma}.items():
        assert abs(model.params[name] - value) < 3 * model.standard_errors[name]
    assert model.reasons[-1].code == "gamma_gamma.correlation.ok"


def test_correlated_spend_is_reported_as_a_warning():
    x = np.arange(1, 201, dtype=float)
    spend = 10 + 0.5 * x + np.random.default_rng(3).normal(0, 2, 200)
    model = GammaGammaModel.fit_columns(x, spend)
    assert model.correlation > 0.9
    assert model.reasons[-1].code == "gamma_gamma.correlation.warning"
    assert "warning" in model.reasons[-1].message


# --- bad data ------------------------------------------------------------------------------------


def test_no_repeat_customers_is_a_clear_error():
    with pytest.raises(ValidationError, match="no customer has a repeat order") as caught:
        BetaGeoModel.fit([row(0, 0, 10), row(0, 0, 20)])
    assert caught.value.field == "frequency"


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        (([1, 2], [3, 40], [10, 30]), "recency[1]"),
        (([1, -2], [3, 4], [10, 30]), "frequency[1]"),
        (([1, 2.5], [3, 4], [10, 30]), "frequency[1]"),
        (([1, 2], [3, 0], [10, 30]), "recency[1]"),
        (([1, 2], [3, 4], [10, math.nan]), "T[1]"),
        (([], [], []), "frequency"),
    ],
)
def test_malformed_columns_name_the_row(columns, field):
    with pytest.raises(ValidationError) as caught:
        BetaGeoModel.fit_columns(*columns)
    assert caught.value.field == field


def test_gamma_gamma_needs_repeat_spend():
    with pytest.raises(ValidationError, match="two or more repeat customers"):
        GammaGammaModel.fit([row(0, 0, 10), row(3, 5, 10, "12.5")])
    with pytest.raises(ValidationError) as caught:
        GammaGammaModel.fit_columns([1, 2], [5.0, -1.0])
    assert caught.value.field == "monetary_value[1]"


def test_parameters_must_be_positive():
    with pytest.raises(ValidationError) as caught:
        BetaGeoModel(r=0.2, alpha=-1.0, a=1.0, b=1.0)
    assert caught.value.field == "alpha"


# --- laws ----------------------------------------------------------------------------------------

histories = (
    st.integers(0, 400)
    .flatmap(
        lambda x: st.tuples(
            st.just(x),
            st.floats(0.1, 100) if x else st.just(0.0),
            st.floats(0, 100),
        )
    )
    .map(lambda h: (h[0], h[1], h[1] + h[2]))
)


@given(histories, st.floats(0, 200), st.floats(0, 200))
def test_probability_alive_is_a_probability_and_expectations_grow_with_time(history, s, t):
    x, t_x, big_t = history
    summary = row(x, t_x, big_t)
    alive = PUBLISHED.probability_alive(summary)
    assert 0 <= alive <= 1
    early, late = sorted((s, t))
    assert (
        0
        <= PUBLISHED.conditional_expected_purchases(summary, early)
        <= (PUBLISHED.conditional_expected_purchases(summary, late) + 1e-9)
    )


@given(histories, st.floats(0.01, 50))
def test_a_longer_silence_never_raises_the_chance_of_being_alive(history, extra):
    x, t_x, big_t = history
    assert PUBLISHED.probability_alive(row(x, t_x, big_t + extra)) <= (
        PUBLISHED.probability_alive(row(x, t_x, big_t)) + 1e-12
    )


# --- CLV -----------------------------------------------------------------------------------------

SPEND = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)


def test_clv_of_one_period_by_hand():
    summary = row(2, 30.43, 38.86, "22.35")
    purchases = PUBLISHED.conditional_expected_purchases(summary, 30 / 7)
    result = clv(
        summary, purchases=PUBLISHED, spend=SPEND, margin=0.2, horizon=1, discount_rate=0.05
    )
    assert result.value == pytest.approx(purchases * 24.6637 * 0.2 / 1.05, rel=1e-5)
    assert result.expected_purchases == pytest.approx(purchases)
    assert result.reasons[0].code == "clv.value"


def test_clv_sums_discounted_periods():
    summary = row(5, 20, 38.86, "40")
    result = clv(
        summary,
        purchases=PUBLISHED,
        spend=SPEND,
        margin=0.3,
        horizon=3,
        period=timedelta(days=28),
        discount_rate=0.02,
    )
    cumulative = [PUBLISHED.conditional_expected_purchases(summary, 4 * i) for i in range(4)]
    spend = SPEND.expected_spend(summary)
    expected = sum((cumulative[i] - cumulative[i - 1]) * spend * 0.3 / 1.02**i for i in range(1, 4))
    assert result.value == pytest.approx(expected, rel=1e-12)


@given(histories, st.floats(0, 0.5), st.floats(0, 0.5))
def test_clv_falls_as_the_discount_rate_rises_and_scales_with_margin(history, d1, d2):
    x, t_x, big_t = history
    summary = row(x, t_x, big_t, "30" if x else "0")
    low, high = sorted((d1, d2))
    at = {
        d: clv(summary, purchases=PUBLISHED, spend=SPEND, margin=0.25, discount_rate=d)
        for d in (low, high)
    }
    assert at[high].value <= at[low].value + 1e-9
    doubled = clv(summary, purchases=PUBLISHED, spend=SPEND, margin=0.5, discount_rate=low)
    assert doubled.value == pytest.approx(2 * at[low].value, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"margin": 1.5}, "margin"),
        ({"horizon": 0}, "horizon"),
        ({"period": timedelta(0)}, "period"),
        ({"period": "fortnight"}, "period"),
        ({"discount_rate": -0.1}, "discount_rate"),
    ],
)
def test_clv_rejects_bad_arguments(change, field):
    with pytest.raises(ValidationError) as caught:
        clv(row(1, 2, 3), purchases=PUBLISHED, spend=SPEND, **{"margin": 0.2, **change})
    assert caught.value.field == field


# --- from logicrm's own activity to the value model and assess ----------------------------------


@pytest.fixture(scope="module")
def sample_models():
    data = sample_dataset()
    activities = summarize(data.shipments, as_of=data.as_of)
    rows = [btyd_summary(a, as_of=data.as_of) for a in activities.values()]
    return data, activities, BetaGeoModel.fit(rows), GammaGammaModel.fit(rows)


def test_models_fit_on_btyd_summaries_of_the_sample(sample_models):
    _, activities, purchases, spend = sample_models
    assert purchases.customers == len(activities)
    assert purchases.unit == timedelta(days=7)
    assert spend.customers <= purchases.repeat_customers


def test_clv_value_rescores_profit_and_strategic_only(sample_models):
    data, activities, purchases, spend = sample_models
    calculator = ClvValue(purchases=purchases, spend=spend)
    customer = data.customers[0]
    plain = value_score(customer, activities[customer.id], as_of=data.as_of)
    forward = calculator(customer, activities[customer.id], as_of=data.as_of)
    kept = (lc.ValueDimension.GROWTH, lc.ValueDimension.PERCEIVED)
    assert {d: forward.dimensions[d] for d in kept} == {d: plain.dimensions[d] for d in kept}
    summary = btyd_summary(activities[customer.id], as_of=data.as_of)
    profit = next(r for r in forward.reasons if r.code == "value.profit")
    assert "expected margin" in profit.message
    alive = purchases.probability_alive(summary)
    tenure = min(1.0, (data.as_of - activities[customer.id].first_order_at).days / 1095)
    assert forward.dimensions[lc.ValueDimension.STRATEGIC] == pytest.approx(
        100 * (tenure + alive) / 2
    )


def test_assess_takes_the_clv_calculator(sample_models):
    data, activities, purchases, spend = sample_models
    results = lc.assess_all(
        data.customers,
        activities,
        as_of=data.as_of,
        value_calculator=ClvValue(purchases=purchases, spend=spend),
    )
    assert len(results) == len(data.customers)
    assert any("expected margin" in r.message for a in results.values() for r in a.reasons)
    no_orders = lc.Customer(id="NEW", name="Newco", kind=lc.CustomerKind.ENTERPRISE)
    fresh = lc.assess(
        no_orders,
        None,
        as_of=data.as_of,
        value_calculator=ClvValue(purchases=purchases, spend=spend),
    )
    assert fresh.value == value_score(
        no_orders, lc.Activity.empty("NEW", as_of=data.as_of), as_of=data.as_of
    )


@pytest.mark.parametrize("which", ["bg_nbd", "gamma_gamma"])
def test_analytic_gradients_match_finite_differences(cdnow, which):
    from logicrm.models import _bgnbd, _gamma_gamma

    if which == "bg_nbd":
        point = np.array([0.3, 4.0, 0.9, 2.0])

        def total(params):
            return _bgnbd._bg_total(
                params, _bgnbd._Histories.of(cdnow["x"], cdnow["t_x"], cdnow["T"])
            )

    else:
        point = np.array([5.0, 3.0, 12.0])
        repeat = cdnow["x"] > 0

        def total(params):
            return _gamma_gamma._gg_total(params, cdnow["x"][repeat], cdnow["zbar"][repeat])

    _, gradient = total(point)
    for i in range(len(point)):
        step = 1e-6 * point[i]
        up, down = point.copy(), point.copy()
        up[i] += step
        down[i] -= step
        numeric = (total(up)[0] - total(down)[0]) / (2 * step)
        assert gradient[i] == pytest.approx(numeric, rel=1e-5)


def test_fit_does_not_climb_rounding_noise_towards_no_dropout():
    # With the plain gammaln differences this data led the optimiser to a ~ 8e15 and
    # b ~ 3.5e22, where rounding made the likelihood look 22,700 points better than truth.
    x, t_x, big_t = PUBLISHED.simulate(100_000, T=52, seed=1)
    model = BetaGeoModel.fit_columns(x, t_x, big_t)
    for name, value in PUBLISHED.params.items():
        assert abs(model.params[name] - value) < 3 * model.standard_errors[name] + 0.02 * value


@pytest.mark.parametrize("z", [0.5, 3e5, 2e6, 1e9, 1e15])
def test_log_rising_factorial_is_exact_for_large_arguments(z):
    from logicrm.models._special import _log_rising

    for x in (1, 7, 250):
        exact = math.fsum(math.log(z + j) for j in range(x))
        assert float(_log_rising(z, np.array([float(x)]))[0]) == pytest.approx(exact, rel=1e-12)


# --- whether a fit can support lifetime-value scores ---------------------------------------------


def test_the_cdnow_fits_support_lifetime_value(cdnow, cdnow_fit):
    # 2,357 customers, 946 of them repeat buyers; every standard error is below its estimate
    # (the largest relative one is BG/NBD's b, 2.426 +/- about 0.7).
    spend = GammaGammaModel.fit_columns(cdnow["x"], cdnow["zbar"])
    support = ClvValue(purchases=cdnow_fit, spend=spend).support()
    assert support.supported
    assert [r.code for r in support.reasons] == ["fit.supported", "fit.supported"]
    assert support.reasons[0].message == (
        "BG/NBD fitted on 2,357 customers, 946 customers with a repeat order; every standard "
        "error below its estimate"
    )


def test_the_samples_twelve_customers_cannot_support_lifetime_value(sample_models):
    # 12 customers, all 12 repeat buyers: under 50 and 20; BG/NBD's a and b and
    # Gamma-Gamma's p and gamma have standard errors above their estimates.
    _, _, purchases, spend = sample_models
    support = ClvValue(purchases=purchases, spend=spend).support()
    assert not support.supported
    assert [r.code for r in support.reasons] == [
        "fit.too_few_customers",
        "fit.too_few_repeat_customers",
        "fit.standard_error_above_estimate",
        "fit.too_few_repeat_customers",
        "fit.standard_error_above_estimate",
    ]
    assert support.reasons[0].message == "BG/NBD fitted on 12 customers, fewer than the 50 needed"
    assert "for a 0.263 ± 0.397, b 43.3 ± 108" in support.reasons[2].message
    assert (
        purchases.standard_errors["b"] > purchases.b
        and purchases.standard_errors["r"] < purchases.r
    )


def fitted_bg(customers, repeat, errors):
    return BetaGeoModel(
        r=1.0, alpha=2.0, a=0.5, b=3.0, standard_errors=errors, log_likelihood=-100.0,
        customers=customers, repeat_customers=repeat,
    )  # fmt: skip


def test_support_draws_each_line_where_its_docstring_says():
    tight = {"r": 0.5, "alpha": 1.0, "a": 0.5, "b": 1.0}  # a's error equals a: not above it
    assert fitted_bg(50, 20, tight).support().supported
    assert [r.code for r in fitted_bg(49, 20, tight).support().reasons] == ["fit.too_few_customers"]
    assert [r.code for r in fitted_bg(50, 19, tight).support().reasons] == [
        "fit.too_few_repeat_customers"
    ]
    wide = fitted_bg(50, 20, {**tight, "a": 0.51}).support()
    assert [(r.code, r.message) for r in wide.reasons] == [
        (
            "fit.standard_error_above_estimate",
            "BG/NBD: standard error above the estimate for a 0.5 ± 0.51",
        )
    ]
    unknown = fitted_bg(50, 20, {**tight, "b": math.nan}).support()
    assert [r.code for r in unknown.reasons] == ["fit.standard_errors_unavailable"]
    assert fitted_bg(10, 5, tight).support(min_customers=10, min_repeat_customers=5).supported
    with pytest.raises(ValidationError, match="min_customers"):
        fitted_bg(50, 20, tight).support(min_customers=0)


def test_a_model_given_its_parameters_has_no_fit_to_judge():
    support = PUBLISHED.support()
    assert support.supported and [r.code for r in support.reasons] == ["fit.given"]
    assert GammaGammaModel(p=6.25, q=3.74, gamma=15.44).support().supported


# --- conventions shared with lifetimes --------------------------------------------------------

# lifetimes 0.11.3, GammaGammaFitter.customer_lifetime_value(..., time=12, discount_rate=0.01,
# freq="W") with params_ set to the published CDNOW estimates (BG/NBD r 0.243, alpha 4.414,
# a 0.793, b 2.426; Gamma-Gamma p 6.25, q 3.74, v 15.44), for CDNOW customers 1, 2, 3 and 21.
LIFETIMES_WEEKLY_CLV = [
    ((2, 30.43, 38.86, "22.35"), 36.289211),
    ((1, 1.71, 38.86, "11.77"), 4.637295),
    ((0, 0.0, 38.86, "0"), 8.369004),
    ((2, 14.57, 38.71, "32.30"), 27.121092),
]


@pytest.mark.parametrize(("history", "expected"), LIFETIMES_WEEKLY_CLV)
def test_the_lifetimes_weekly_month_reproduces_lifetimes_clv(history, expected):
    result = clv(
        row(*history),
        purchases=PUBLISHED,
        spend=SPEND,
        margin=1.0,  # lifetimes prices revenue, not margin
        period=LIFETIMES_WEEKLY_MONTH,
    )
    assert result.value == pytest.approx(expected, abs=1e-6)


def test_a_calendar_month_is_365_25_twelfths_of_a_day_count():
    summary = row(2, 30.43, 38.86, "22.35")
    month = clv(summary, purchases=PUBLISHED, spend=SPEND, margin=0.2, period="month")
    same = clv(
        summary, purchases=PUBLISHED, spend=SPEND, margin=0.2, period=timedelta(days=30.4375)
    )
    thirty = clv(summary, purchases=PUBLISHED, spend=SPEND, margin=0.2)
    assert timedelta(days=30.4375) == CALENDAR_MONTH and month.value == same.value
    assert month.value > thirty.value  # longer months hold more purchases
    assert "periods of 30.4375 days" in month.reasons[0].message


def test_a_zero_spend_repeat_buyer_follows_the_gamma_gamma_posterior():
    # gamma p / (p x + q - 1) = 15.44 * 6.25 / (6.25 * 3 + 2.74) = 4.490461, as lifetimes'
    # conditional_expected_average_profit gives; the population mean would be 35.22.
    assert SPEND.expected_spend(row(3, 20, 38.86, "0")) == pytest.approx(4.490461, abs=1e-6)
    assert SPEND.expected_spend(row(1, 5, 38.86, "0")) == pytest.approx(10.734149, abs=1e-6)
    assert SPEND.expected_spend(row(0, 0, 38.86, "0")) == pytest.approx(SPEND.mean_spend)


@pytest.mark.parametrize("q", [1.0, 0.5])
def test_gamma_gamma_refuses_q_of_one_or_less_with_a_reason(q):
    with pytest.raises(ValidationError, match=r"mean spend .* is infinite") as caught:
        GammaGammaModel(p=6.25, q=q, gamma=15.44)
    assert caught.value.field == "q"


def test_a_fit_whose_q_is_one_or_less_raises_fit_error_and_returns_nothing():
    # Spend drawn from a Gamma-Gamma population with q = 0.6: its mean spend is infinite.
    rng = np.random.default_rng(3)
    x = rng.integers(1, 5, 3000).astype(float)
    nu = rng.gamma(0.6, 1 / 10.0, x.size)
    m = np.array([rng.gamma(3.0 * xi, 1 / (n * xi)) for xi, n in zip(x, nu, strict=True)])
    with pytest.raises(FitError, match=r"q = 0\.\d+ <= 1"):
        GammaGammaModel.fit_columns(x, m)


# --- at scale -----------------------------------------------------------------------------------


def simulated_spend(customers, *, seed=2):
    """benchmarks/bench_models.py's data: BG/NBD histories (seed 1), spend from a Gamma-Gamma
    population with p, q, gamma = 6.25, 3.74, 15.44. The mean of n Gamma(p, nu) draws is
    Gamma(p n, nu n), drawn at once."""
    x, _, _ = PUBLISHED.simulate(customers, T=52, seed=1)
    rng = np.random.default_rng(seed)
    nu = rng.gamma(3.74, 1 / 15.44, customers)
    spend = np.zeros(customers)
    buyers = x > 0
    spend[buyers] = rng.gamma(6.25 * x[buyers], 1 / (nu[buyers] * x[buyers]))
    return x, spend


def test_gamma_gamma_reaches_the_optimum_for_461597_repeat_buyers():
    """Once this fit stopped at p 1.48, q 2.07, gamma 33.66 with a log-likelihood 81,125
    below the truth's, and returned it. lifetimes finds 6.32, 3.72, 15.18 on the same data."""
    x, spend = simulated_spend(1_000_000)
    model = GammaGammaModel.fit_columns(x, spend)
    assert model.customers == 461_597
    used = (x > 0) & (spend > 0)
    at_truth, _ = _gg_total(np.array([6.25, 3.74, 15.44]), x[used], spend[used])
    assert model.log_likelihood >= at_truth
    for name, truth in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert abs(model.params[name] - truth) < 3 * model.standard_errors[name], name


def test_a_likelihood_without_an_optimum_raises_fit_error_and_returns_nothing():
    def rising(params):  # log p grows without end: there is no maximum to find
        return float(np.log(params[0])), np.array([1 / params[0]])

    with pytest.raises(FitError, match=r"stopped before the optimum|did not converge"):
        _maximise(rising, np.log([1.0]), "test", size=1)


# --- predictions for many customers at once -----------------------------------------------------


@given(st.lists(histories, min_size=1, max_size=20), st.floats(0, 104))
def test_column_predictions_agree_with_the_scalar_methods(rows, t):
    summaries = [row(x, t_x, big_t, "25" if x else "0") for x, t_x, big_t in rows]
    x, t_x, big_t = (np.array(column, dtype=float) for column in zip(*rows, strict=True))
    m = np.where(x > 0, 25.0, 0.0)
    alive = PUBLISHED.probability_alive_columns(x, t_x, big_t)
    expected = PUBLISHED.conditional_expected_purchases_columns(x, t_x, big_t, t)
    spend = SPEND.expected_spend_columns(x, m)
    values = clv_columns(x, t_x, big_t, m, purchases=PUBLISHED, spend=SPEND, margin=0.2)
    for i, summary in enumerate(summaries):
        assert alive[i] == pytest.approx(PUBLISHED.probability_alive(summary), rel=1e-12)
        assert expected[i] == pytest.approx(
            PUBLISHED.conditional_expected_purchases(summary, t), rel=1e-12, abs=1e-300
        )
        assert spend[i] == pytest.approx(SPEND.expected_spend(summary), rel=1e-12)
        scalar = clv(summary, purchases=PUBLISHED, spend=SPEND, margin=0.2).value
        assert values[i] == pytest.approx(scalar, rel=1e-12, abs=1e-300)


def test_column_predictions_refuse_bad_columns_with_the_field():
    with pytest.raises(ValidationError, match="frequency"):
        PUBLISHED.probability_alive_columns([1, 2], [1], [3, 3])
    with pytest.raises(ValidationError):
        PUBLISHED.conditional_expected_purchases_columns([2], [40], [30], 5)  # recency > T
    with pytest.raises(ValidationError, match=r"monetary_value\[1\]"):
        SPEND.expected_spend_columns([1, 2], [3.0, -1.0])
