"""Policies are validated as strictly as domain data: every bad value is refused with the
dotted path of the field, from a file and from Python alike."""

from datetime import timedelta
from decimal import Decimal

import pytest

import logicrm as lc
from logicrm.errors import ValidationError
from logicrm.policies import Policies, dumps_policies, loads_policies
from logicrm.quality import ComplaintTimes
from logicrm.sample import sample_dataset
from logicrm.scoring import ChurnPolicy, CreditPolicy, LifecyclePolicy, RatioBand, ScoreBand


@pytest.mark.parametrize(
    ("toml", "path"),
    [
        ("[credit.weights]\ncharacter = nan", "credit.weights.character"),
        ("[credit.weights]\ncharacter = inf", "credit.weights.character"),
        ("[credit.weights]\ncharacter = -1.0", "credit.weights.character"),
        ("[credit.weights]\ncharcter = 2.0", "credit.weights"),
        ("[credit.weights]\n" + "".join(f"{c} = 0\n" for c in
         ("character", "capacity", "capital", "collateral", "conditions")), "credit.weights"),
        ("[credit]\napprove_score = nan", "credit.approve_score"),
        ("[credit]\nreview_score = -inf", "credit.review_score"),
        ("[credit]\napprove_score = 101.0", "credit.approve_score"),
        ("[credit]\nreview_score = 70.0\napprove_score = 60.0", "credit.review_score"),
        ("[credit]\nmax_statement_age_days = -1", "credit.max_statement_age_days"),
        ("[credit]\nmax_missing_criteria = -1", "credit.max_missing_criteria"),
        ('[credit]\nmin_current_ratio = "-0.5"', "credit.min_current_ratio"),
        ('[credit]\noverdue_hold_share = "1.5"', "credit.overdue_hold_share"),
        ('[credit]\noverdue_hold_share = "NaN"', "credit.overdue_hold_share"),
        ('[credit.max_limit]\namount = "-1"\ncurrency = "CNY"', "credit.max_limit"),
        ("[credit]\nscore_bands = []", "credit.score_bands"),
        ('[[credit.score_bands]]\nmin_score = 80.0\nlimit_months = "-1"\nterm_days = 30',
         "credit.score_bands[0].limit_months"),
        ('[[credit.score_bands]]\nmin_score = 80.0\nlimit_months = "1"\nterm_days = -30',
         "credit.score_bands[0].term_days"),
        ('[[credit.score_bands]]\nmin_score = nan\nlimit_months = "1"\nterm_days = 30',
         "credit.score_bands[0].min_score"),
        ('[[credit.score_bands]]\nmin_score = 50.0\nlimit_months = "1"\nterm_days = 30\n'
         '[[credit.score_bands]]\nmin_score = 80.0\nlimit_months = "2"\nterm_days = 60',
         "credit.score_bands"),
        ('[credit.bands.current_ratio]\nthresholds = ["2.0", "1.0"]',
         "credit.bands[current_ratio].thresholds"),
        ("[credit.bands.current_ratio]\nthresholds = []", "credit.bands[current_ratio].thresholds"),
        ('[credit.bands.speed_ratio]\nthresholds = ["1.0"]', "credit.bands.speed_ratio"),
        ("[lifecycle]\nlapsed_after_days = 0", "lifecycle.lapsed_after_days"),
        ("[lifecycle]\nlapsed_after_days = 1000000000000000000", "lifecycle.lapsed_after_days"),
        ("[churn]\ndrop_ratio = nan", "churn.drop_ratio"),
        ("[churn]\ndrop_ratio = 1.5", "churn.drop_ratio"),
        ("[churn]\nmin_history_days = 100000", "churn.min_history_days"),
        ("[pareto]\na = nan", "pareto.a"),
        ("[pareto]\na = 0.9\nb = 0.8", "pareto.a"),
        ("[value.weights]\nprofit = inf", "value.weights.profit"),
        ("[value]\ngrowth_reference = nan", "value.growth_reference"),
        ("[value]\nstrategic_tenure_days = 0", "value.strategic_tenure_days"),
        ("[tiering]\nfrequent_orders = 0", "tiering.frequent_orders"),
        ('[complaint.times.low]\nrespond_within = "PT0S"\nresolve_within = "P1D"\n'
         'confirm_within = "P1D"', "complaint.times[low].respond_within"),
        ('[complaint.times.low]\nrespond_within = "P99999999999D"\nresolve_within = "P1D"\n'
         'confirm_within = "P1D"', "complaint.times[low].respond_within"),
        ('[complaint.times.low]\nrespond_within = "P3D"\nresolve_within = "P1D"\n'
         'confirm_within = "P1D"', "complaint.times[low].respond_within"),
        ('[complaint.by_tier.large.high]\nrespond_within = "P3D"\nresolve_within = "PT2H"\n'
         'confirm_within = "P1D"', "complaint.by_tier[large][high].respond_within"),
    ],
)  # fmt: skip
def test_a_bad_policy_value_is_refused_with_its_path(toml, path):
    with pytest.raises(ValidationError) as caught:
        loads_policies(toml + "\n", format="toml")
    assert caught.value.field == path, str(caught.value)
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize(
    "build",
    [
        lambda: ScoreBand(80.0, Decimal(-1), -30),
        lambda: ScoreBand(float("nan"), Decimal(1), 30),
        lambda: RatioBand((Decimal("NaN"),)),
        lambda: RatioBand(()),
        lambda: CreditPolicy(score_bands=()),
        lambda: CreditPolicy(weights={"character": float("nan")}),
        lambda: LifecyclePolicy(lapsed_after_days=10**30),
        lambda: ChurnPolicy(drop_ratio=float("inf")),
        lambda: ComplaintTimes(timedelta(hours=1), timedelta(days=1), timedelta(days=99999)),
        lambda: ComplaintTimes(timedelta(days=2), timedelta(days=1), timedelta(days=1)),
    ],
    ids=["negative band", "nan band", "nan threshold", "no thresholds", "no bands", "nan weight",
         "huge days", "inf ratio", "huge confirm", "respond after resolve"],
)  # fmt: skip
def test_the_same_rules_hold_when_a_policy_is_built_in_python(build):
    with pytest.raises(ValidationError):
        build()


def test_a_band_can_no_longer_grant_a_negative_limit():
    """Once, ``limit_months = -1, term_days = -30`` approved with a limit of -48,238 CNY."""
    text = '[[credit.score_bands]]\nmin_score = 0.0\nlimit_months = "-1"\nterm_days = -30\n'
    with pytest.raises(ValidationError):
        loads_policies(text, format="toml")
    data = sample_dataset()
    for profile in data.credit_profiles:
        assert lc.assess_credit(profile, as_of=data.as_of).limit.amount >= 0


def test_every_default_policy_is_valid_and_round_trips():
    assert loads_policies(dumps_policies(Policies()), format="toml") == Policies()
    assert loads_policies(dumps_policies(Policies(), format="json"), format="json") == Policies()


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('[service_cost]\nfollow_up_purposes = ["bribe"]\n', "service_cost.follow_up_purposes"),
        ('[action]\nworkforce_ratings = ["mood"]\n', "action.workforce_ratings"),
        ('[action]\norganisation_ratings = ["luck"]\n', "action.organisation_ratings"),
        ("[contact]\nvisit_purposes = []\n", "visit_purposes"),
        ('[contact]\nsurvey_purposes = ["follow_up_visit"]\n', "survey_purposes"),
        ("[action]\ngrow_min_growth = -1\n", "grow_min_growth"),
    ],
)
def test_a_policy_that_names_what_nothing_knows_is_refused_with_its_path(text, path):
    with pytest.raises(ValidationError, match=path):
        loads_policies(text, format="toml")


def test_a_purpose_the_contact_policy_lists_may_cost_a_follow_up():
    text = '[contact]\npurposes = ["claims_review"]\n[service_cost]\n' + (
        'follow_up_purposes = ["claims_review"]\n'
    )
    policies = loads_policies(text, format="toml")
    assert policies.service_cost.follow_up_purposes == ("claims_review",)
