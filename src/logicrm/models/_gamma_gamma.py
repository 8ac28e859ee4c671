"""The Gamma-Gamma model of spend per transaction (Fader and Hardie 2013)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
from scipy import special

from logicrm.domain import Reason
from logicrm.domain._checks import fail
from logicrm.models._fit import (
    FitError,
    _Array,
    _check_positive,
    _columns,
    _maximise,
    _show,
    _standard_errors,
)
from logicrm.models._support import (
    MIN_REPEAT_CUSTOMERS,
    FitSupport,
    check_minimum,
    fit_support,
)
from logicrm.scoring import BtydSummary

CORRELATION_WARNING = 0.3
"""|Pearson r| between frequency and spend above which the Gamma-Gamma fit warns."""


def _gg_total(params: _Array, x: _Array, m: _Array) -> tuple[float, _Array]:
    """Gamma-Gamma log-likelihood of mean spends m over x transactions (Fader and Hardie
    2013, eq. 3, summed) and its gradient in (p, q, gamma)."""
    p, q, gamma = params
    px = p * x
    log_mx = np.log(gamma + m * x)
    each = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_mx
    )
    psi_pxq = special.digamma(px + q)
    gradient = np.array(
        [
            np.sum(x * (psi_pxq - special.digamma(px) + np.log(m) + np.log(x) - log_mx)),
            np.sum(psi_pxq - special.digamma(q) + np.log(gamma) - log_mx),
            np.sum(q / gamma - (px + q) / (gamma + m * x)),
        ]
    )
    return float(np.sum(each)), gradient


@attrs.frozen(kw_only=True)
class GammaGammaModel:
    """A fitted Gamma-Gamma model of spend per transaction.

    Fitted on customers with at least one repeat transaction (``frequency > 0``) and a
    positive ``monetary_value``; the others carry no spend information and are skipped.

    Attributes:
        p: the shape of the Gamma distribution of one customer's spend per transaction.
        q: the shape of the Gamma distribution of its scale across customers (> 1).
        gamma: the scale of that distribution, in money units.
        standard_errors: as for [`BetaGeoModel`][logicrm.models.BetaGeoModel].
        log_likelihood: as for [`BetaGeoModel`][logicrm.models.BetaGeoModel].
        customers: the repeat customers it was fitted on.
        correlation: Pearson correlation of frequency and mean spend among them; the model assumes
            none. Above [`CORRELATION_WARNING`][logicrm.models.CORRELATION_WARNING] in size,
            ``reasons`` warns.
        reasons: the fit, and the correlation check.

    Examples:
        >>> model = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
        >>> round(model.mean_spend, 2)
        35.22
    """

    p: float
    q: float
    gamma: float
    standard_errors: Mapping[str, float] = attrs.field(
        factory=lambda: MappingProxyType({}), hash=False
    )
    log_likelihood: float | None = None
    customers: int = 0
    correlation: float | None = None
    reasons: tuple[Reason, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_positive(self, ("p", "q", "gamma"))
        if self.q <= 1:
            fail(
                "q",
                self.q,
                "must be > 1: at q <= 1 the population's mean spend p * gamma / (q - 1) is "
                "infinite, so no spend can be forecast",
            )

    @property
    def params(self) -> Mapping[str, float]:
        """``{"p": ..., "q": ..., "gamma": ...}``."""
        return MappingProxyType({"p": self.p, "q": self.q, "gamma": self.gamma})

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per transaction, p * gamma / (q - 1) (q > 1 always)."""
        return self.p * self.gamma / (self.q - 1)

    def support(self, *, min_repeat_customers: int = MIN_REPEAT_CUSTOMERS) -> FitSupport:
        """Whether this fit can support lifetime-value scores, and why: at least
        ``min_repeat_customers`` repeat customers with spend, and every standard error below
        its estimate (see [`FitSupport`][logicrm.models.FitSupport]).

        Raises:
            ValidationError: a threshold that is not a whole number >= 1.
        """
        least = check_minimum("min_repeat_customers", min_repeat_customers)
        return fit_support(
            "Gamma-Gamma",
            self.params,
            self.standard_errors,
            fitted=self.log_likelihood is not None,
            counts=(("customers with a repeat order", self.customers, least),),
        )

    @classmethod
    def fit(cls, summaries: Iterable[BtydSummary]) -> GammaGammaModel:
        """Fit by maximum likelihood on [`BtydSummary`][logicrm.scoring.BtydSummary] rows.

        Raises:
            ValidationError: fewer than two customers with repeat orders and spend.
            FitError: the optimiser did not converge.
        """
        x, _, _, m = _columns(summaries)
        return cls.fit_columns(x, m)

    @classmethod
    def fit_columns(cls, frequency: Any, monetary_value: Any) -> GammaGammaModel:
        """Fit on two equal-length number sequences; same rules as
        [`fit()`][logicrm.models.GammaGammaModel.fit]."""
        x, m = (np.asarray(c, dtype=float) for c in (frequency, monetary_value))
        if x.shape != m.shape or x.ndim != 1:
            fail("monetary_value", m.shape, "must be 1-d and as long as frequency")
        bad = np.flatnonzero(~np.isfinite(m) | (m < 0))
        if bad.size:
            fail(f"monetary_value[{bad[0]}]", float(m[bad[0]]), "must be a finite number >= 0")
        used = (x > 0) & (m > 0)
        x, m = x[used], m[used]
        if x.size < 2:
            fail(
                "frequency",
                int(x.size),
                "Gamma-Gamma needs two or more repeat customers with spend",
            )

        def log_likelihood(params: _Array) -> tuple[float, _Array]:
            return _gg_total(params, x, m)

        start = np.log([1.0, 1.0, float(np.mean(m))])
        params, ll = _maximise(log_likelihood, start, "Gamma-Gamma", size=x.size)
        if params[1] <= 1:
            raise FitError(
                f"Gamma-Gamma fitted q = {params[1]:.3g} <= 1: the spend is so dispersed that "
                "its population mean is infinite and no spend can be forecast; look for "
                "outliers in monetary_value"
            )
        names = ("p", "q", "gamma")
        errors, notes = _standard_errors(log_likelihood, params, names)
        fitted = dict(zip(names, params.tolist(), strict=True))
        correlation = float(np.corrcoef(x, m)[0, 1]) if np.ptp(x) > 0 and np.ptp(m) > 0 else None
        return cls(
            **fitted,
            standard_errors=errors,
            log_likelihood=ll,
            customers=int(x.size),
            correlation=correlation,
            reasons=(
                Reason(
                    "gamma_gamma.fit",
                    f"fitted on {x.size:,} repeat customers: {_show(fitted, errors)}; "
                    f"log-likelihood {ll:,.1f}",
                ),
                *notes,
                _correlation_reason(correlation),
            ),
        )

    def expected_spend(self, summary: BtydSummary) -> float:
        """E[spend per transaction | frequency, monetary_value]: the posterior mean
        ``(gamma + m x) p / (p x + q - 1)``, the customer's own mean shrunk towards the
        population's, the more the fewer transactions it has.

        A customer with no repeat transaction (``x = 0``) gets the population's mean; a
        repeat buyer whose mean spend is 0 follows the posterior like any other
        (``gamma p / (p x + q - 1)``, smaller the more zero-spend transactions it had)."""
        x, m = float(summary.frequency), float(summary.monetary_value)
        if x < 0 or m < 0:
            fail("summary", summary.customer_id, "has negative frequency or monetary value")
        return float(self.expected_spend_columns([x], [m])[0])

    def expected_spend_columns(self, frequency: Any, monetary_value: Any) -> _Array:
        """[`expected_spend()`][logicrm.models.GammaGammaModel.expected_spend] for every
        customer of two equal-length columns at once, as a numpy array.

        Examples:
            >>> model = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
            >>> model.expected_spend_columns([2, 0, 3], [22.35, 0, 0]).round(2)
            array([24.66, 35.22,  4.49])
        """
        x, m = (np.asarray(c, dtype=float) for c in (frequency, monetary_value))
        if x.shape != m.shape or x.ndim != 1:
            fail("monetary_value", m.shape, "must be 1-d and as long as frequency")
        bad = np.flatnonzero(~np.isfinite(x) | ~np.isfinite(m) | (x < 0) | (m < 0))
        if bad.size:
            fail(f"monetary_value[{bad[0]}]", float(m[bad[0]]), "must be finite and >= 0")
        p, q, gamma = self.p, self.q, self.gamma
        posterior = (gamma + m * x) * p / (p * x + q - 1)
        return np.where(x == 0, self.mean_spend, posterior)

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _correlation_reason(correlation: float | None) -> Reason:
    if correlation is None:
        return Reason(
            "gamma_gamma.correlation.unknown",
            "warning: frequency or spend does not vary, so their independence is untested",
        )
    if abs(correlation) > CORRELATION_WARNING:
        return Reason(
            "gamma_gamma.correlation.warning",
            f"warning: frequency and spend per transaction correlate (r = {correlation:.2f});"
            " the model assumes they are independent, so spend forecasts may be biased",
        )
    return Reason(
        "gamma_gamma.correlation.ok",
        f"frequency and spend per transaction nearly independent (r = {correlation:.2f})",
    )
