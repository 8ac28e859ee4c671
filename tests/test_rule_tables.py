"""One rule, one table: the object path, the columnar engine's expressions and its tuple
kernel read each shared rule table (tier bands, service prices, churn drops, value
dimensions), so a table changed, or a row added, changes all three answers alike."""

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logicrm._engine._assess_exprs as assess_exprs
from logicrm.cli._run import Inputs, score
from logicrm.policies import Policies
from logicrm.retention import _economics as economics
from logicrm.sample import sample_dataset, write_sample
from logicrm.scoring import _tier as tiering
from logicrm.scoring import summarize
from logicrm.scoring._tier import Band, Tier

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")

DATA = sample_dataset()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"), DATA)


def _paths(files, policies: Policies | None = None) -> list[dict]:
    """The rows of the object path, the expressions and the tuple kernel: all three must
    be one answer (the expressions really ran: they did not hand over to the kernel)."""
    inputs = Inputs(shipments=files["shipments"], customers=files["customers"])

    def run(engine: str, rows_only: bool) -> tuple[list[dict], object]:
        results, _ = score(
            attrs.evolve(inputs, engine=engine),
            as_of=DATA.as_of,
            policies=policies or Policies(),
            rows_only=rows_only,
        )
        return list(results.rows()), getattr(results, "frame", None)

    python, _ = run("python", False)
    expressions, frame = run("columnar", True)
    assert frame is not None, "the expressions handed the run to the tuple kernel"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assess_exprs, "assessment_frame", lambda *a, **k: None)
        kernel, frame = run("columnar", True)
    assert frame is None
    assert expressions == python
    assert kernel == python
    return python


SPEND = {
    customer_id: activity.revenue_within(365)
    for customer_id, activity in summarize(DATA.shipments, as_of=DATA.as_of).items()
}
KINDS = {c.id: c.kind.value for c in DATA.customers}


def _bands(draw_tiers: list[Tier], bounds: list[Decimal], comparisons: list[str]):
    ordered = sorted(set(bounds), reverse=True)[: len(draw_tiers) - 1]
    rows = [Band(b, t, w, b) for b, t, w in zip(ordered, draw_tiers, comparisons, strict=False)]
    last = ordered[-1] if ordered else Decimal(0)
    return (*rows, Band(None, draw_tiers[len(rows)], "<", last))


TIERS = st.sampled_from([Tier.LARGE, Tier.MEDIUM, Tier.SMALL])


@settings(max_examples=15, deadline=None)
@given(
    tiers=st.lists(TIERS, min_size=1, max_size=5),
    bounds=st.lists(st.decimals(0, 3_000_000, places=2), min_size=0, max_size=4),
    words=st.lists(st.sampled_from([">=", "at least", "≥"]), min_size=4, max_size=4),
    orders=st.lists(st.integers(0, 12), min_size=0, max_size=2),
)
def test_a_spend_band_table_of_any_shape_tiers_alike_on_every_path(
    files, tiers, bounds, words, orders
):
    """An enterprise band table with more or fewer bands, any order of tiers, any words:
    the three paths give the same rows, and each enterprise's tier and reason are its
    band's, the first the trailing year's spend reaches."""
    spend = _bands(tiers, bounds, words)
    frequency = _bands(
        [Tier.FREQUENT, Tier.OCCASIONAL, Tier.FREQUENT][: len(orders) + 1],
        [Decimal(n) for n in orders],
        words,
    )
    frequency = tuple(
        b._replace(least=None if b.least is None else int(b.least)) for b in frequency
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiering, "spend_bands", lambda policy: spend)
        patch.setattr(tiering, "order_bands", lambda policy: frequency)
        rows = _paths(files)
    for row in rows:
        if KINDS.get(row["customer_id"], "enterprise") != "enterprise":
            continue
        figure = SPEND.get(row["customer_id"], Decimal(0))
        band = next(b for b in spend if b.least is None or figure >= b.least)
        assert row["tier"] == band.tier.value
        assert f"{band.comparison} {band.quoted:,}: {band.tier.value}" in row["top_reasons"]


def test_the_tier_tables_are_where_the_branch_order_is_written(files):
    """Reversing the enterprise bands (smallest first) sends every enterprise to the first
    band on all three paths: the order lives in the table and nowhere else."""
    default = _paths(files)
    bands = tiering.spend_bands(Policies().tiering)
    assert [b.tier for b in bands] == [Tier.LARGE, Tier.MEDIUM, Tier.SMALL]
    flipped = (Band(Decimal(0), Tier.SMALL, ">=", Decimal(0)), *bands)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiering, "spend_bands", lambda policy: flipped)
        rows = _paths(files)
    enterprises = [r for r in rows if KINDS.get(r["customer_id"], "enterprise") == "enterprise"]
    assert enterprises and all(r["tier"] == "small" for r in enterprises)
    before = [r for r in default if KINDS.get(r["customer_id"], "enterprise") == "enterprise"]
    assert any(r["tier"] != "small" for r in before)


def test_the_service_price_table_prices_the_cost_to_serve_on_every_path(files):
    """A price changed in the table, and the rows reordered, change the cost to serve on
    all three paths alike: the table is the only place the events are priced."""
    default = _paths(files)
    table = economics.service_prices(Policies().service_cost)
    changed = tuple(
        (name, Decimal("1234.5") if name == "returns" else price) for name, price in table
    )[::-1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(economics, "service_prices", lambda policy: changed)
        rows = _paths(files)
    assert [r["cost_to_serve"] for r in rows] != [r["cost_to_serve"] for r in default]
    by_id = {r["customer_id"]: r for r in default}
    activities = summarize(DATA.shipments, as_of=DATA.as_of)
    for row in rows:
        activity = activities.get(row["customer_id"])
        returns = 0 if activity is None else activity.returns_365
        extra = returns * (Decimal("1234.5") - Decimal("250.00"))
        assert row["cost_to_serve"] == by_id[row["customer_id"]]["cost_to_serve"] + extra


def test_the_churn_tables_decide_the_risk_and_the_trend_on_every_path(files):
    """A drop test made stricter (orders below 100% of the earlier rate), the revenue test
    left out, and the verdicts tried in another order change the churn columns and the
    reasons on all three paths alike: the branches are the tables' rows."""
    from logicrm.policies import ParetoCutoffs
    from logicrm.scoring import _lifecycle as lifecycle
    from logicrm.scoring._lifecycle import ChurnTrend, Drop, Verdict

    every_a_is_key = Policies(pareto=ParetoCutoffs(key_max_share=1.0))
    default = _paths(files, every_a_is_key)
    policy = Policies().churn
    assert [d.rate for d in lifecycle.churn_drops(policy)] == ["orders", "revenue"]
    drops = (Drop("orders", 1.0, "orders below the earlier rate"),)
    verdicts = (
        Verdict(ChurnTrend.SLOWING, "below", 2.0, "slowing, by the table"),
        *lifecycle.churn_verdicts(policy),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lifecycle, "churn_drops", lambda policy: drops)
        patch.setattr(lifecycle, "churn_verdicts", lambda policy: verdicts)
        rows = _paths(files, every_a_is_key)
    assert [r["churn_risk"] for r in rows] != [r["churn_risk"] for r in default]
    assert sum(r["churn_risk"] for r in rows) > sum(r["churn_risk"] for r in default)
    assert "revenue below" not in " ".join(r["top_reasons"] for r in rows)
    flagged = [r for r in rows if r["churn_flag"]]
    assert flagged
    assert all(": slowing, by the table" in r["top_reasons"] for r in flagged)


def test_the_lever_table_chooses_the_retention_lever_on_every_path(files):
    """The lever's steps tried in another order choose another lever on all three paths
    alike; a table of one step gives every customer not dropped that lever."""
    from logicrm.retention import _action_policy as action_policy
    from logicrm.retention._action_policy import LeverStep, RetentionLever

    default = _paths(files)
    steps = action_policy._LEVER_STEPS
    assert [s.when for s in steps] == ["lapsed", "mature", "always"]
    levers = {r["customer_id"]: r["retention_lever"] for r in default}
    assert "win_back" in levers.values() and "switching_barriers_and_ties" in levers.values()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(action_policy, "_LEVER_STEPS", (steps[1], steps[0], steps[2]))
        mature_first = _paths(files)
    moved = {
        r["customer_id"] for r in mature_first if r["retention_lever"] != levers[r["customer_id"]]
    }
    assert moved and all(levers[c] == "win_back" for c in moved)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            action_policy, "_LEVER_STEPS", (LeverStep("always", RetentionLever.BUILD_TRUST),)
        )
        one_step = _paths(files)
    assert {r["retention_lever"] for r in one_step} <= {"build_trust", None}
    assert [r["retention_lever"] is None for r in one_step] == [
        lever is None for lever in levers.values()
    ]


def test_the_value_table_weighs_and_orders_the_dimensions_on_every_path(files):
    """A value table with the dimensions in another order, other weights and another
    profit reference gives one score on all three paths, and a changed one: the order,
    the weights and the references are read from the table alone."""
    from logicrm.scoring import _value as valuing

    default = _paths(files)
    rows = valuing.value_dimensions(Policies().value)
    assert [r.formula for r in rows] == [
        "tenure_and_continuity", "margin_share", "growth", "perfect_rate"
    ]  # fmt: skip
    changed = tuple(
        r._replace(weight=float(n + 1), references=(Decimal("7.5"),))
        if r.formula == "margin_share"
        else r._replace(weight=float(n + 1))
        for n, r in enumerate(reversed(rows))
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(valuing, "value_dimensions", lambda model: changed)
        scored = _paths(files)
    assert [r["value_score"] for r in scored] != [r["value_score"] for r in default]
    without = tuple(r._replace(weight=0.0) if r.formula == "growth" else r for r in changed)
    with pytest.MonkeyPatch.context() as patch:  # a weight of 0 leaves a dimension out
        patch.setattr(valuing, "value_dimensions", lambda model: without)
        dropped = _paths(files)
    assert [r["value_score"] for r in dropped] != [r["value_score"] for r in scored]


def test_the_value_table_is_the_object_paths_value_score():
    """``value_score`` reads the table: a hand-computed score from the table's rows."""
    from logicrm.scoring import _value as valuing
    from logicrm.scoring import value_score

    activity = summarize(DATA.shipments, as_of=DATA.as_of)["C00000"]
    customer = DATA.customers[0]
    only_perceived = tuple(
        r._replace(weight=1.0 if r.formula == "perfect_rate" else 0.0)
        for r in valuing.value_dimensions(Policies().value)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(valuing, "value_dimensions", lambda model: only_perceived)
        score = value_score(customer, activity, as_of=DATA.as_of).score
    assert score == 100 * (activity.perfect / activity.delivered)


@settings(max_examples=10, deadline=None)
@given(
    classes=st.permutations(["A", "B", "C"]),
    shares=st.lists(st.sampled_from(["0.3", "0.5", "0.8", "0.95"]), min_size=2, max_size=2),
)
def test_the_pareto_table_classes_alike_on_every_path(files, classes, shares):
    """Any order of the classes and any cut-offs in the Pareto table: the three paths give
    the same classes, and the ranked customers' classes follow the table."""
    from logicrm.scoring import _segments as segments
    from logicrm.scoring._segments import AbcClass

    cut = sorted(Decimal(s) for s in shares)
    bands = ((cut[0], AbcClass[classes[0]]), (cut[1], AbcClass[classes[1]]),
             (None, AbcClass[classes[2]]))  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segments, "pareto_bands", lambda a, b: bands)
        rows = _paths(files)
    ranked = sorted(
        ((-v, k) for k, v in SPEND.items() if v > 0 and k in {r["customer_id"] for r in rows})
    )
    total, above, by_id = sum(-v for v, _ in ranked), Decimal(0), {}
    for v, k in ranked:
        by_id[k] = next(c for s, c in bands if s is None or above < s * total).name
        above += -v
    assert {r["customer_id"]: r["abc_class"] for r in rows if r["customer_id"] in by_id} == by_id


def test_a_table_is_remembered_per_policy_object_not_per_equal_policy():
    """Two equal policies that write an amount differently each get their own table's
    words; the same object gets the very table made before."""
    from logicrm.domain import Money
    from logicrm.scoring import TieringPolicy

    two = TieringPolicy(large_annual_spend=Money("500000.00", "CNY"))
    one = TieringPolicy(large_annual_spend=Money("500000.0", "CNY"))
    assert f"{tiering.spend_bands(two)[0].quoted:,}" == "500,000.00"
    assert f"{tiering.spend_bands(one)[0].quoted:,}" == "500,000.0"
    assert tiering.spend_bands(one) is tiering.spend_bands(one)
