"""Two backtests side by side: the same history under two policies, customer by customer."""

from __future__ import annotations

import attrs

from logicrm._backtest_results import Backtest, FlagCheck
from logicrm.domain import Reason
from logicrm.domain._checks import fail
from logicrm.domain._reason import plural

# The per-customer fields a policy can change, in the order differences are listed.
_FIELDS = (
    "churn_flag",
    "churn_risk",
    "key_customer",
    "tier_before",
    "class_before",
    "credit_outcome",
)


@attrs.frozen(kw_only=True)
class CustomerDifference:
    """One customer whose advice differs between the two policies.

    Attributes:
        customer_id: the customer.
        field: what differs (a field of [`BacktestOutcome`][logicrm.BacktestOutcome], such as
            ``"churn_flag"`` or ``"tier_before"``).
        first: its value under the first policy.
        second: its value under the second.
        lapsed: whether the customer lapsed in the horizon (the same under both: the outcome
            does not depend on the advice).
    """

    customer_id: str
    field: str
    first: object
    second: object
    lapsed: bool


@attrs.frozen(kw_only=True)
class BacktestComparison:
    """The same backtest under two policies.

    Attributes:
        first: the backtest under the first policy.
        second: the backtest under the second.
        differences: every customer whose advice differs, by field then customer id.
        reasons: the headline: which policy's churn flag was more precise and caught more.
    """

    first: Backtest
    second: Backtest
    differences: tuple[CustomerDifference, ...]
    reasons: tuple[Reason, ...]

    def table(self) -> list[dict[str, object]]:
        """The figures side by side, one row per figure: ``figure``, ``first``, ``second``.

        Rates are floats (``None`` when not supported by the data); counts are ints.
        """
        rows: list[dict[str, object]] = []
        for name in ("churn_flag", "churn_risk"):
            a: FlagCheck = getattr(self.first, name)
            b: FlagCheck = getattr(self.second, name)
            for figure in (
                "customers",
                "flagged",
                "lapsed",
                "flagged_lapsed",
                "precision",
                "recall",
                "lift",
            ):
                rows.append(
                    {
                        "figure": f"{name}.{figure}",
                        "first": getattr(a, figure),
                        "second": getattr(b, figure),
                    }
                )
        rows.append(
            {
                "figure": "tiers.moved",
                "first": self.first.tiers.moved,
                "second": self.second.tiers.moved,
            }
        )
        rows.append(
            {
                "figure": "pareto.moved",
                "first": self.first.pareto.moved,
                "second": self.second.pareto.moved,
            }
        )
        if self.first.credit is not None and self.second.credit is not None:
            for figure in ("approved", "on_hold", "hold_rate"):
                rows.append(
                    {
                        "figure": f"credit.{figure}",
                        "first": getattr(self.first.credit, figure),
                        "second": getattr(self.second.credit, figure),
                    }
                )
        return rows


def compare_backtests(first: Backtest, second: Backtest) -> BacktestComparison:
    """Compare two backtests of the same customers, cut-off and horizon under different
    policies: the figures side by side and every customer whose advice differs.

    Raises:
        ValidationError: the backtests differ in cut-off, horizon or customers.

    Examples:
        >>> from datetime import timedelta
        >>> import attrs
        >>> from logicrm import backtest
        >>> from logicrm.policies import Policies
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> cut, watch = data.as_of - timedelta(days=180), timedelta(days=180)
        >>> strict = Policies()
        >>> loose = attrs.evolve(strict, churn=attrs.evolve(strict.churn, drop_ratio=0.9))
        >>> result = compare_backtests(
        ...     backtest(data.customers, data.shipments, cutoff=cut, horizon=watch,
        ...              policies=strict),
        ...     backtest(data.customers, data.shipments, cutoff=cut, horizon=watch,
        ...              policies=loose))
        >>> sorted({d.field for d in result.differences})
        ['churn_risk']
    """
    for name, a, b in (
        ("cutoff", first.cutoff, second.cutoff),
        ("horizon", first.horizon, second.horizon),
    ):
        if a != b:
            fail(f"second.{name}", b, f"must equal the first backtest's ({a})")
    if set(first.outcomes) != set(second.outcomes):
        fail("second.outcomes", len(second.outcomes), "must hold the first backtest's customers")
    differences = []
    for field in _FIELDS:
        for key in sorted(first.outcomes):
            a_value = getattr(first.outcomes[key], field)
            b_value = getattr(second.outcomes[key], field)
            if a_value != b_value:
                differences.append(
                    CustomerDifference(
                        customer_id=key,
                        field=field,
                        first=a_value,
                        second=b_value,
                        lapsed=first.outcomes[key].lapsed,
                    )
                )
    changed = len({d.customer_id for d in differences})
    reasons = [
        Reason(
            "backtest.compare.differences",
            f"the advice differs for {plural(changed, 'customer')}",
        )
    ]
    for name in ("churn_flag", "churn_risk"):
        a_check: FlagCheck = getattr(first, name)
        b_check: FlagCheck = getattr(second, name)
        reasons.append(
            Reason(
                f"backtest.compare.{name}",
                f"{name}: precision {_show(a_check.precision)} against {_show(b_check.precision)}, "
                f"recall {_show(a_check.recall)} against {_show(b_check.recall)}",
            )
        )
    return BacktestComparison(
        first=first, second=second, differences=tuple(differences), reasons=tuple(reasons)
    )


def _show(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"
