"""Views for people: every public object's HTML view and the terminal demo read as words and
rounded figures, while rows, CSV, JSON Lines and Parquet stay exact."""

import html
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

import logicrm as lc
from logicrm import _present, models
from logicrm.cli._demo import demo_report
from logicrm.sample import SAMPLE_STANDARDS, sample_dataset

# Identifiers people should never read: every labelled one with an underscore in it.
IDENTIFIERS = sorted(k for k in _present.LABELS if "_" in k)
RAW_IDENTIFIER = re.compile(r"(?<![\w/.-])(" + "|".join(IDENTIFIERS) + r")(?![\w-])")
LONG_FLOAT = re.compile(r"\d\.\d{4,}")  # more digits than any view shows
MONEY_WITHOUT_SEPARATORS = re.compile(r"(?<![\d,.])\d{4,}\.\d\d(?!\d)")


def problems(text: str) -> list[str]:
    """What a person should not have to read in ``text``."""
    found = [f"identifier {m}" for m in RAW_IDENTIFIER.findall(text)]
    found += [f"long float {m}" for m in LONG_FLOAT.findall(text)]
    found += [f"money without separators {m}" for m in MONEY_WITHOUT_SEPARATORS.findall(text)]
    return found


def visible(markup: str) -> str:
    """The text a browser shows: tags (and their tooltips) dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", " ", markup))


INVOICE = lc.Invoice(
    id="F1",
    customer_id="C00000",
    issued_on=date(2026, 4, 1),
    due_on=date(2026, 5, 1),
    amount=lc.Money("12500.00", "CNY"),
)


@pytest.fixture(scope="module")
def views():
    """One instance of every public class with an HTML view, built from the sample."""
    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    results = lc.assess_all(data.customers, activities, as_of=data.as_of, inputs=data.inputs())
    one = results["C00000"]
    kpis = lc.service_kpis(data.shipments)
    survey = lc.servqual(data.survey_responses)
    gaps = lc.five_gaps(kpis, SAMPLE_STANDARDS, servqual=survey)
    sla = lc.complaint_sla(data.complaints, as_of=data.as_of)
    work = lc.worklist(results)
    summaries = [lc.btyd_summary(a, as_of=data.as_of) for a in activities.values()]
    purchases = models.BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    spend = models.GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    statement = data.credit_profiles[0].statements[-1]
    found = [
        one,
        results,
        one.tier,
        one.value,
        one.lifecycle,
        one.churn,
        one.credit,
        lc.check_exposure(data.credit_profiles[0], lc.Money("50000.00", "CNY")),
        lc.ratios(statement),
        one.contact_plan,
        one.contact_plan.items[0],
        one.action,
        lc.qualify_prospect(data.credit_profiles[0]),
        *lc.profitability_by(results, by="abc_class").values(),
        one.share,
        one.profitability,
        kpis,
        survey,
        gaps,
        gaps.worst,
        *gaps.measures.values(),
        sla,
        *sla.complaints[:3],
        work,
        work[0],
        data.interactions[0],
        summaries[0],
        lc.rfm(activities, as_of=data.as_of)["C00000"],
        *lc.ageing([INVOICE], as_of=data.as_of).values(),
        purchases,
        spend,
        models.clv(summaries[0], purchases=purchases, spend=spend, margin=0.25),
        models.ParetoNbdModel(r=0.553, alpha=10.578, s=0.606, beta=11.669),
        lc.TaskState(task_id=work[0].id, customer_id=work[0].customer_id, at=data.as_of,
                     state="done", outcome="called back"),
        *lc.worklist_changes(work, lc.worklist(results, states=[lc.TaskState(
            task_id=work[0].id, customer_id=work[0].customer_id, at=data.as_of, state="done")]
        ))[:1],
        lc.backtest(data.customers, data.shipments, cutoff=data.as_of - timedelta(days=180),
                    horizon=timedelta(days=180)),
        *lc.calibration_and_holdout(
            data.shipments, calibration_end=(data.as_of - timedelta(days=180)).date(),
            observation_end=data.as_of.date(),
        ).values(),
    ]  # fmt: skip
    return [view for view in found if view is not None]


def public_classes_with_html():
    named = [getattr(lc, n) for n in lc.__all__] + [getattr(models, n) for n in models.__all__]
    return {c for c in named if isinstance(c, type) and hasattr(c, "_repr_html_")}


def test_every_public_class_with_an_html_view_is_rendered_here(views):
    assert public_classes_with_html() - {type(v) for v in views} == set()


def test_every_report_object_has_an_html_view():
    """Results a notebook shows: every public attrs class with reasons or a report's name."""
    results = {
        c
        for c in (getattr(lc, n) for n in lc.__all__)
        if isinstance(c, type) and attrs.has(c) and c.__module__.split(".")[1] in ("scoring",
                                                                 "quality", "retention")
        and not c.__name__.endswith(("Policy", "Model", "Band", "Times", "Intervals"))
        and c.__name__ not in ("Activity", "ContactActivity")  # aggregates, not reports
    }  # fmt: skip
    assert {c.__name__ for c in results if not hasattr(c, "_repr_html_")} == set()


def test_html_views_show_words_and_rounded_figures(views):
    for view in views:
        shown = visible(view._repr_html_())
        assert problems(shown) == [], type(view).__name__


def test_the_terminal_demo_shows_words_and_rounded_figures():
    # The quarantine section quotes the loader's own messages, field paths included.
    text = demo_report().split("Loading records with quarantine")[0]
    assert problems(text) == []


def test_the_checks_catch_what_they_are_for():
    """Each check fails on the thing it guards against (else the tests above prove nothing)."""
    assert problems("on_time_rate 91.4%") == ["identifier on_time_rate"]
    assert problems("grow_key") == ["identifier grow_key"]
    assert problems("size -0.020000000000000018") == ["long float 0.020000000000000018"]
    assert problems("revenue 2440800.03 CNY") == ["money without separators 2440800.03"]
    assert problems("revenue 2,440,800.03 CNY, on time 91.4%, C00000, 2026-06-30") == []


# --- the formatters --------------------------------------------------------------------------


def test_money_has_separators_and_its_currency():
    assert _present.money(Decimal("2440800.03"), "CNY") == "2,440,800.03 CNY"
    assert _present.text(lc.Money("144714.51", "CNY")) == "144,714.51 CNY"
    assert _present.money(Decimal("-95.5")) == "-95.50"


def test_rates_are_percentages_and_rate_gaps_are_points():
    assert _present.text(0.9140767824497258, "on_time_rate") == "91.4%"
    assert _present.points(-0.020000000000000018) == "-2.00 pts"
    assert _present.measure_gap("avg_order_cycle_hours", 3.25) == "+3.2 h"
    assert _present.scale_points(-0.4) == "-0.40 pts"


def test_orders_per_month_are_not_read_as_shares():
    assert _present.text(23.3333, "recent_rate") == "23.33"


def test_times_drop_their_seconds_and_due_times_are_dates():
    when = datetime(2025, 10, 4, 13, 0, 10, tzinfo=UTC)
    assert _present.text(when) == "2025-10-04 13:00 UTC"
    assert _present.text(when, "due_at") == "2025-10-04"
    assert _present.text(when.isoformat(), "due_at") == "2025-10-04"
    eight = when.astimezone(timezone(timedelta(hours=8)))
    assert _present.moment(eight) == "2025-10-04 21:00 +08:00"
    assert _present.duration(timedelta(days=2, hours=4, minutes=10)) == "2 d 4 h"
    assert _present.duration(timedelta(minutes=90)) == "1 h 30 min"


def test_identifiers_read_as_their_labels_in_cells_and_in_sentences():
    assert _present.text(lc.SalesAction.GROW_KEY) == "grow a key customer"
    assert _present.text(lc.AbcClass.A) == "A"
    assert _present.text("switching_barriers_and_ties", "retention_lever") == (
        "switching barriers and ties"
    )
    assert _present.words("knowledge gap on damage_rate") == "knowledge gap on damage"
    assert _present.words("before as_of 5 days") == "before the as-of date 5 days"
    assert _present.text("knowledge (on_time_rate)", "worst_gap") == "knowledge gap, on time"


def test_programs_still_get_exact_values():
    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    row = lc.assess_all(data.customers, activities, as_of=data.as_of, inputs=data.inputs())[
        "C00000"
    ].row()
    assert row["next_action"] == "grow_key" and isinstance(row["on_time_rate"], float)
    assert isinstance(row["cost_to_serve"], Decimal)
    assert row["incentive"] == "vip_membership"


def test_charts_label_measures_and_gaps_in_words():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from logicrm import plot

    data = sample_dataset()
    kpis = lc.service_kpis(data.shipments)
    ax = plot.five_gaps(lc.five_gaps(kpis, SAMPLE_STANDARDS))
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert ticks == ["fill rate", "damage", "on time"]
    assert legend[0] == "knowledge gap"
    matplotlib.pyplot.close("all")


# --- views at a glance -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def assessed():
    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    return lc.assess_all(data.customers, activities, as_of=data.as_of, inputs=data.inputs())


def test_the_worklist_view_is_rank_customer_what_when_and_one_short_reason(assessed):
    work = lc.worklist(assessed)
    markup = work._repr_html_()
    headers = [visible(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", markup)]
    assert headers[:6] == ["#", "customer", "what to do", "when", "why", ""]
    assert headers[6:] == headers[:6]  # the breach report, folded below, reads the same way
    first = visible(markup.split("<tr>")[2])  # the first row after the header's
    assert first.split()[:5] == ["1", "C00000", "key", "complaint", "response"]
    assert "due 2026-06-30" in first
    short, _, folded = first.partition("details")
    assert "complaint K0008 (critical) opened 2025-03-10, not answered" in short
    assert "deadline missed by 476 days" not in short and "deadline missed by 476" in folded
    assert markup.count("<summary>details</summary>") == len(work) + len(work.breaches)
    assert "Breach report: 24 deadlines missed by more than 90 days" in markup


def test_wide_tables_scroll_inside_1200_px_and_reasons_fold(assessed):
    markup = assessed._repr_html_()
    assert markup.count("max-width:1200px;overflow-x:auto") == 2  # key columns, every column
    assert markup.count("<details class='reasons'><summary>more</summary>") == len(assessed)


def test_a_declined_score_names_both_thresholds():
    """Once "score 25.0 below 45" left 45 unexplained beside "below the credit standard 60"."""
    profile = sample_dataset().credit_profiles[0]
    low = attrs.evolve(profile, ratings=dict.fromkeys(profile.ratings, 1))
    decision = lc.assess_credit(low, as_of=sample_dataset().as_of)
    message = next(r.message for r in decision.reasons if r.code == "credit.outcome.decline")
    assert "below 45, the least for a review (the credit standard is 60)" in message
