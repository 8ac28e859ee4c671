"""Whether a fit can carry the scores asked of it: enough customers, enough repeat buyers,
and standard errors smaller than the estimates."""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs

from logicrm.domain import Reason
from logicrm.domain._checks import fail

MIN_CUSTOMERS = 50
"""The fewest customers a BG/NBD fit is trusted on (logicrm's choice; see
[`FitSupport`][logicrm.models.FitSupport])."""

MIN_REPEAT_CUSTOMERS = 20
"""The fewest customers with a repeat order a BG/NBD or Gamma-Gamma fit is trusted on
(logicrm's choice; see [`FitSupport`][logicrm.models.FitSupport])."""


@attrs.frozen
class FitSupport:
    """Whether a fitted model can support lifetime-value scores, and why.

    A fit is **supported** when it rests on at least
    [`MIN_CUSTOMERS`][logicrm.models.MIN_CUSTOMERS] customers (BG/NBD only) and
    [`MIN_REPEAT_CUSTOMERS`][logicrm.models.MIN_REPEAT_CUSTOMERS] customers with a repeat
    order, and every parameter's standard error is smaller than its estimate.

    The counts are logicrm's own choice, not the papers'. The dropout half of BG/NBD (``a``,
    ``b``) and all of Gamma-Gamma are learnt only from repeat buyers' histories; 20 of them is
    five per parameter of the larger model, a common floor for maximum likelihood to be
    anywhere near its large-sample behaviour, and 50 customers in all keeps the one-time
    buyers, who carry the purchase-rate spread (``r``, ``alpha``), from being a handful. The
    published CDNOW fits rest on 2,357 customers, 946 of them repeat buyers. Counts alone miss
    a fit that the data cannot pin down, so the standard errors are checked too: an estimate
    whose standard error exceeds it has a 95% interval that runs from below zero to more than
    twice the estimate, and forecasts built on it can rank a small customer above a large one.
    A standard error that could not be computed fails the check as well.

    A model built from given parameters (not fitted here, so no log-likelihood) has nothing to
    check and is supported, with a reason saying so.

    Attributes:
        supported: whether scores may rest on the fit.
        reasons: each weakness found (``fit.too_few_customers``,
            ``fit.too_few_repeat_customers``, ``fit.standard_error_above_estimate``,
            ``fit.standard_errors_unavailable``), or one reason saying why it is supported.
    """

    supported: bool
    reasons: tuple[Reason, ...]

    def __and__(self, other: FitSupport) -> FitSupport:
        """Both fits together: supported when both are; every reason of both."""
        if not isinstance(other, FitSupport):
            return NotImplemented
        return FitSupport(self.supported and other.supported, self.reasons + other.reasons)


def check_minimum(name: str, value: object) -> int:
    """A threshold of ``support()``: a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail(name, value, "must be a whole number >= 1")
    return value


def fit_support(
    model: str,
    params: Mapping[str, float],
    errors: Mapping[str, float],
    *,
    fitted: bool,
    counts: tuple[tuple[str, int, int], ...],
) -> FitSupport:
    """The checks of [`FitSupport`][logicrm.models.FitSupport] for one model; ``counts`` holds
    (what is counted, how many, the fewest trusted)."""
    if not fitted:
        return FitSupport(
            True,
            (Reason("fit.given", f"{model}: parameters given, not fitted here; nothing to check"),),
        )
    weak: list[Reason] = []
    for what, found, least in counts:
        if found < least:
            code = (
                "fit.too_few_customers" if what == "customers" else "fit.too_few_repeat_customers"
            )
            weak.append(
                Reason(code, f"{model} fitted on {found:,} {what}, fewer than the {least:,} needed")
            )
    missing = [n for n in params if not math.isfinite(errors.get(n, math.nan))]
    if missing:
        weak.append(
            Reason(
                "fit.standard_errors_unavailable",
                f"{model}: no standard error for {', '.join(missing)}",
            )
        )
    wide = [n for n in params if n not in missing and errors[n] > params[n]]
    if wide:
        shown = ", ".join(f"{n} {params[n]:.3g} ± {errors[n]:.3g}" for n in wide)
        weak.append(
            Reason(
                "fit.standard_error_above_estimate",
                f"{model}: standard error above the estimate for {shown}",
            )
        )
    if weak:
        return FitSupport(False, tuple(weak))
    counted = ", ".join(f"{found:,} {what}" for what, found, _ in counts)
    return FitSupport(
        True,
        (
            Reason(
                "fit.supported",
                f"{model} fitted on {counted}; every standard error below its estimate",
            ),
        ),
    )
