"""Notebook support: HTML views, tables of results, monthly measures, policies and plots."""

from datetime import UTC, date, timedelta
from decimal import Decimal

import matplotlib
import pytest
from hypothesis import given
from hypothesis import strategies as st

matplotlib.use("Agg")

import logicrm as lc
from logicrm import plot
from logicrm._assess import ROW_COLUMNS
from logicrm._present import words
from logicrm.errors import ValidationError
from logicrm.policies import ParetoCutoffs, Policies, dumps_policies, loads_policies
from logicrm.quality import ComplaintPolicy, ComplaintTimes
from logicrm.sample import SAMPLE_STANDARDS, sample_dataset
from logicrm.scoring import summarize

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test's charts are closed after it, as a notebook user's would be."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return sample_dataset()


@pytest.fixture(scope="module")
def activities(data):
    return summarize(data.shipments, as_of=data.as_of)


@pytest.fixture(scope="module")
def results(data, activities):
    return lc.assess_all(
        data.customers,
        activities,
        as_of=data.as_of,
        inputs=data.inputs(),
    )


# --- HTML ------------------------------------------------------------------------------------


def test_assessment_html_shows_the_answer_and_its_reasons(results):
    html = results["C00000"]._repr_html_()
    assert "Assessment &middot; C00000" in html
    assert "<table" in html and "large" in html
    for reason in results["C00000"].reasons[:5]:
        assert reason.code in html
    assert "<details" in html  # nested results fold away


def test_every_report_has_an_html_view(data, activities, results):
    kpis = lc.service_kpis(data.shipments)
    survey = lc.servqual(data.survey_responses)
    reports = [
        results["C00000"].credit,
        results["C00000"].value,
        kpis,
        survey,
        lc.five_gaps(kpis, SAMPLE_STANDARDS, servqual=survey),
        lc.complaint_sla(data.complaints, as_of=data.as_of),
        lc.check_exposure(data.credit_profiles[0], lc.Money("50000.00", "CNY")),
    ]
    for report in reports:
        html = report._repr_html_()
        assert html.startswith("<div class='logicrm'>") and html.endswith("</div>")
        assert type(report).__name__ in html


def test_html_escapes_everything_it_shows(data, activities):
    def shouting(customer, activity, *, as_of):
        return lc.ValueScore(50.0, {}, (lc.Reason("x.y", "<script>alert(1)</script>"),))

    result = lc.assess(data.customers[0], activities["C00000"], as_of=data.as_of,
                       value_calculator=shouting)  # fmt: skip
    html = result._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_rates_show_as_percentages(data):
    html = lc.service_kpis(data.shipments)._repr_html_()
    assert "91.7%" in html  # on_time_rate 0.917


def test_collection_html_shows_key_columns_first_and_folds_the_rest(results):
    from logicrm._assessments import KEY_COLUMNS

    html = results._repr_html_()
    key, _, folded = html.partition("<details>")
    assert key.count("<tr>") == 1 + len(results) and "C00011" in key
    assert key.count("<th style") == len(KEY_COLUMNS) + 1  # and the top reasons
    assert folded.count("<th style") == len(ROW_COLUMNS)
    assert f"every column ({len(ROW_COLUMNS)})" in folded
    first = results["C00000"]
    assert f"{first.service.on_time_rate:.1%}" in key  # a rate reads as on the command line
    for reason in first.top_reasons():  # folded under "more", read as words (as_of: "as-of")
        assert html_escape(words(reason.message)) in key


def html_escape(text):
    import html

    return html.escape(text)


def test_the_abc_class_is_spelt_the_same_in_every_view(results):
    one = results["C00000"]
    assert one.abc_class is lc.AbcClass.A and one.row()["abc_class"] == "A"
    assert "<td style='padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;" in (
        one._repr_html_()
    )
    assert ">A</td>" in one._repr_html_() and ">a</td>" not in one._repr_html_()
    assert ">A</td>" in results._repr_html_() and ">a</td>" not in results._repr_html_()


def test_large_collections_have_a_short_text_view(results):
    text = repr(results)
    assert len(text) < 300 and text.startswith("Assessments(12 customers: C00000: large")
    assert "... and 9 more" in text
    loaded = lc.serialization.load_many(
        lc.Shipment, [lc.serialization.to_dict(s) for s in sample_dataset().shipments]
    )
    assert repr(loaded) == "LoadResult(1,500 ok, 0 rejected)"  # fmt: skip


def test_nested_reports_fold_instead_of_nesting_tables(data, activities):
    report = lc.five_gaps(
        lc.service_kpis(activities["C00000"]),
        SAMPLE_STANDARDS,
        servqual=lc.servqual(data.survey_responses),
    )
    html = report._repr_html_()
    top = html.split("<details>")[0]
    assert "<table" in top and top.count("<table") == 1  # only the report's own fields
    assert html.count("<details>") >= len(report.measures)


# --- tables ----------------------------------------------------------------------------------


def test_rows_to_pandas_and_polars_agree_with_each_assessment(results):
    frame = results.to_pandas()
    table = results.to_polars()
    assert list(frame.columns) == list(ROW_COLUMNS) == table.columns
    assert len(frame) == len(table) == len(results)
    for index, assessment in enumerate(results.values()):
        row = assessment.row()
        assert frame.iloc[index]["tier"] == table["tier"][index] == row["tier"]
        assert frame.iloc[index]["value_score"] == row["value_score"]
        if row["credit_limit"] is not None:
            assert table["credit_limit"][index] == row["credit_limit"]  # exact decimal
            assert frame.iloc[index]["credit_limit"] == float(row["credit_limit"])
        assert table["complaints"][index] == row["complaints"]


def test_row_names_the_reports_worst_gap(results):
    row = results["C00000"].row()
    worst = results["C00000"].gaps.worst
    assert row["worst_gap"] == f"{worst.gap.value} ({worst.where})"
    assert row["worst_gap_size"] == worst.size < 0
    first = results["C00000"].gaps.reasons[0]
    assert first.code == f"gap.{worst.gap.value}.{worst.where}" and first.contribution == (
        worst.points
    )
    # one definition: the row's column is a measure actually short of a level, in points
    assert row["worst_gap"] == "communication (on_time_rate)" and worst.against == "promise"


def test_assess_all_is_still_a_dict(results):
    assert isinstance(results, dict)
    assert isinstance(results, lc.Assessments)


# --- monthly measures ------------------------------------------------------------------------


def test_months_partition_the_shipments(data):
    months = lc.service_kpis_by_month(data.shipments)
    assert list(months) == sorted(months)
    assert all(m.day == 1 for m in months)
    assert sum(k.shipments for k in months.values()) == len(data.shipments)
    june = [
        s for s in data.shipments if s.ordered_at.astimezone(UTC).strftime("%Y-%m") == "2026-06"
    ]
    assert months[date(2026, 6, 1)] == lc.service_kpis(june)


# --- policies --------------------------------------------------------------------------------


@given(
    lapsed=st.integers(1, 3650),
    a=st.floats(0.05, 0.9),
    extra=st.floats(0, 0.09),
    respond_hours=st.integers(1, 24),  # the critical resolve_within: no respond beyond it
)
def test_policies_round_trip_through_toml_and_json(lapsed, a, extra, respond_hours):
    times = ComplaintPolicy().times
    critical = times[lc.Severity.CRITICAL]
    policies = Policies(
        lifecycle=lc.LifecyclePolicy(lapsed_after_days=lapsed),
        pareto=ParetoCutoffs(a=a, b=a + extra),
        complaint=ComplaintPolicy(
            times={
                **times,
                lc.Severity.CRITICAL: ComplaintTimes(
                    respond_within=timedelta(hours=respond_hours),
                    resolve_within=critical.resolve_within,
                    confirm_within=critical.confirm_within,
                ),
            }
        ),
    )
    for fmt in ("toml", "json"):
        assert loads_policies(dumps_policies(policies, format=fmt), format=fmt) == policies


def test_policy_errors_name_the_path():
    with pytest.raises(ValidationError) as caught:
        loads_policies('[complaint.times.low]\nrespond_within = "2 days"\n', format="toml")
    assert any("complaint.times" in p.path for p in caught.value.problems)
    with pytest.raises(ValidationError) as caught:
        loads_policies("[pareto]\na = 0.9\nb = 0.5\n", format="toml")
    assert caught.value.field == "pareto.a"


# --- plots -----------------------------------------------------------------------------------


def saved(ax, tmp_path, name):
    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path)
    content = path.read_bytes()
    assert content.startswith(PNG) and len(content) > 5_000
    return ax


def test_pareto_curve(activities, tmp_path):
    revenue = {k: a.revenue_within(365) for k, a in activities.items()}
    ax = saved(plot.pareto_curve(revenue), tmp_path, "pareto")
    curve = ax.lines[0]
    ys = list(curve.get_ydata())
    assert ys[0] == 0 and ys[-1] == pytest.approx(1.0)
    assert ys == sorted(ys)  # ranked highest first, so the curve only rises
    cut_offs = sorted(line.get_ydata()[0] for line in ax.lines[1:3])
    assert cut_offs == [0.8, 0.95]
    classes = lc.abc_classes(revenue)
    labels = {t.get_text() for t in ax.texts}
    for cls in lc.AbcClass:
        count = sum(c is cls for c in classes.values())
        assert f"{cls.name}: {count}" in labels


def test_servqual_gaps(data, tmp_path):
    survey = lc.servqual(data.survey_responses)
    ax = saved(plot.servqual_gaps(survey), tmp_path, "servqual")
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == pytest.approx(list(survey.dimension_gaps.values()))


def test_five_gaps_side_by_side(data, tmp_path):
    kpis = lc.service_kpis(data.shipments)
    report = lc.five_gaps(kpis, SAMPLE_STANDARDS, servqual=lc.servqual(data.survey_responses))
    ax = saved(plot.five_gaps(report), tmp_path, "five_gaps")
    assert len(ax.patches) == len(report.measures) * len(lc.Gap)
    on_time = report.measures[lc.ServiceMeasure.ON_TIME_RATE].gaps[lc.Gap.SERVICE]
    service_bars = ax.containers[list(lc.Gap).index(lc.Gap.SERVICE)]
    measures = list(report.measures)
    bar = service_bars[measures.index(lc.ServiceMeasure.ON_TIME_RATE)]
    assert bar.get_height() == pytest.approx(on_time * 100)


def test_measures_over_time_against_standards(data, tmp_path):
    months = lc.service_kpis_by_month(data.shipments)
    ax = saved(
        plot.measures_over_time(months, [lc.ServiceMeasure.ON_TIME_RATE],
                                standards=SAMPLE_STANDARDS),
        tmp_path,
        "over_time",
    )  # fmt: skip
    series = ax.lines[0]
    assert list(series.get_ydata()) == pytest.approx(
        [k.on_time_rate * 100 for k in months.values()]
    )
    standard = next(
        s.target for s in SAMPLE_STANDARDS
        if s.measure is lc.ServiceMeasure.ON_TIME_RATE and s.kind is lc.StandardKind.STANDARD
    )  # fmt: skip
    assert ax.lines[1].get_ydata()[0] == pytest.approx(standard * 100)


def test_a_promise_equal_to_the_standard_is_one_line_named_for_both(data, tmp_path):
    months = lc.service_kpis_by_month(data.shipments)
    both = [
        lc.ServiceStandard(measure="on_time_rate", kind=kind, target=0.98)
        for kind in ("standard", "promise")
    ]
    ax = saved(plot.measures_over_time(months, standards=both), tmp_path, "equal")
    labels = [line.get_label() for line in ax.lines[1:]]
    assert labels == ["on time standard = promise 98"]  # a label, not the identifier
    apart = [*both[:1], lc.ServiceStandard(measure="on_time_rate", kind="promise", target=0.95)]
    ax = saved(plot.measures_over_time(months, standards=apart), tmp_path, "apart")
    assert [line.get_linestyle() for line in ax.lines[1:]] == ["--", ":"]


def test_value_dimensions(data, activities, tmp_path):
    score = lc.value_score(data.customers[0], activities["C00000"], as_of=data.as_of)
    ax = saved(plot.value_dimensions(score), tmp_path, "value")
    assert [bar.get_width() for bar in ax.patches] == pytest.approx(list(score.dimensions.values()))
    assert ax.lines[0].get_xdata()[0] == pytest.approx(score.score)


def test_cost_to_serve_plots_shares_of_revenue_not_amounts(results, tmp_path):
    # x = service cost / revenue, y = margin after service / revenue, per customer with
    # revenue over the last 365 days (C00011, lapsed, has none). C00008 by hand: service
    # 1,250 over revenue 2,916.48 = 42.9%; margin -580.57 / 2,916.48 = -19.9%.
    ax = saved(plot.cost_to_serve(results.values()), tmp_path, "cost")
    drawn = sorted(
        (x, y) for collection in ax.collections for x, y in collection.get_offsets().tolist()
    )
    earning = [a.profitability for a in results.values() if a.profitability.revenue > 0]
    assert len(earning) == len(results) - 1
    expected = sorted(
        (float(p.service_cost / p.revenue), float(p.margin / p.revenue)) for p in earning
    )
    assert [v for pair in drawn for v in pair] == pytest.approx([v for p in expected for v in p])
    assert all(0 <= x < 1 and -1 < y < 1 for x, y in drawn)  # shares, not CNY amounts
    water = results["C00008"].profitability
    assert float(water.service_cost / water.revenue) == pytest.approx(1250 / 2916.48)
    assert float(water.margin / water.revenue) == pytest.approx(-580.57 / 2916.48)
    assert ax.lines[0].get_ydata()[0] == 0  # break-even
    assert [t.get_text() for t in ax.texts] == [
        *(a.customer_id for a in results.values() if a.profitability.margin < 0),
        "1 customer without revenue not drawn",
    ]
    assert ax.xaxis.get_major_formatter()(0.25) == "25%"
    assert "share of revenue" in ax.get_xlabel() and "share of revenue" in ax.get_ylabel()


def test_cost_to_serve_leaves_out_customers_without_revenue(results, tmp_path):
    import attrs

    some = list(results.values())[:3]
    empty = attrs.evolve(some[0].profitability, revenue=Decimal(0), customer_id="C9")
    ax = plot.cost_to_serve([*some, empty])
    assert sum(len(c.get_offsets()) for c in ax.collections) == 3
    assert "1 customer without revenue not drawn" in [t.get_text() for t in ax.texts]
    with pytest.raises(ValidationError):
        plot.cost_to_serve([empty])


def test_plots_refuse_empty_input():
    with pytest.raises(ValidationError):
        plot.pareto_curve({"C1": Decimal(0)})
    with pytest.raises(ValidationError):
        plot.measures_over_time({})


def test_reference_lines_of_two_measures_at_one_level_take_turns(data, tmp_path):
    # On-time promised at 98% and fill rate held to a 98% standard: once the second hid the
    # first. Now each draws every other segment, so both colours show.
    months = lc.service_kpis_by_month(data.shipments)
    standards = [
        lc.ServiceStandard(measure="on_time_rate", kind="promise", target=0.98),
        lc.ServiceStandard(measure="fill_rate", kind="standard", target=0.98),
    ]
    measures = [lc.ServiceMeasure.ON_TIME_RATE, lc.ServiceMeasure.FILL_RATE]
    ax = saved(plot.measures_over_time(months, measures, standards=standards), tmp_path, "turns")
    at_98 = [line for line in ax.lines if list(line.get_ydata()) == [98, 98]]
    assert len(at_98) == 2 and at_98[0].get_color() != at_98[1].get_color()
    offsets = [line._unscaled_dash_pattern[0] for line in at_98]
    assert offsets[0] != offsets[1]
