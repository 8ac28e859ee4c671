"""Customer lifetime value: the BG/NBD and Gamma-Gamma models, fitted by maximum likelihood.

The two standard models of customer-base analysis, fitted on the
[`btyd_summary()`][logicrm.scoring.btyd_summary] rows that
[`summarize()`][logicrm.scoring.summarize] feeds:

- [`BetaGeoModel`][logicrm.models.BetaGeoModel] — the BG/NBD model of purchase frequency and dropout
  (Fader, Hardie and Lee, "Counting your customers the easy way", 2005). While alive a customer buys
  at a Poisson rate lambda ~ Gamma(r, alpha); after each purchase it drops out with probability p ~
  Beta(a, b).
- [`GammaGammaModel`][logicrm.models.GammaGammaModel] — the Gamma-Gamma model of spend per
  transaction (Fader, Hardie and Lee 2005; Fader and Hardie, "The Gamma-Gamma model of monetary
  value", 2013): spends are Gamma(p, nu) around a customer's mean, with nu ~ Gamma(q, gamma). It
  assumes spend per transaction is independent of how often a customer buys; the fit reports the
  correlation.
- [`ParetoNbdModel`][logicrm.models.ParetoNbdModel] — the Pareto/NBD model (Schmittlein, Morrison
  and Colombo 1987): purchases at rate lambda ~ Gamma(r, alpha) while alive, an exponential
  lifetime with rate mu ~ Gamma(s, beta), fitted with the same safeguards as BG/NBD.
- [`holdout_check()`][logicrm.models.holdout_check] — a fitted model against a calibration and
  holdout split: predicted against actual purchases by calibration frequency, mean absolute
  error, and the calibration of P(alive) (Brier score, reliability by decile);
  [`repeat_purchases_by_period()`][logicrm.models.repeat_purchases_by_period] tracks the
  cohort's repeat purchases week by week against the model.
- [`clv()`][logicrm.models.clv] — discounted expected margin over a horizon, and
  [`ClvValue`][logicrm.models.ClvValue], a value calculator that scores the value model's profit and
  strategic dimensions from the models (pass it to [`logicrm.assess()`][logicrm.assess] as
  ``value_calculator``).
- [`FitSupport`][logicrm.models.FitSupport] — whether a fit can carry lifetime-value scores
  (enough customers and repeat buyers, standard errors below the estimates):
  ``model.support()``; ``logicrm score --value clv`` refuses a fit that cannot.

Times are in the unit of the summaries (weeks by default, as in the papers); the models
record that unit. Everything is computed in log space, so customers with thousands of
repeat orders neither overflow nor lose precision.

Requires the ``models`` extra: ``pip install 'logicrm[models]'`` (NumPy and SciPy).
"""

from logicrm.models._bgnbd import BetaGeoModel
from logicrm.models._clv import (
    CALENDAR_MONTH,
    LIFETIMES_WEEKLY_MONTH,
    Clv,
    ClvValue,
    clv,
    clv_columns,
)
from logicrm.models._fit import FitError
from logicrm.models._gamma_gamma import CORRELATION_WARNING, GammaGammaModel
from logicrm.models._holdout import (
    FrequencyRow,
    HoldoutCheck,
    PeriodRow,
    PurchaseModel,
    ReliabilityRow,
    holdout_check,
    repeat_purchases_by_period,
)
from logicrm.models._pareto import ParetoNbdModel
from logicrm.models._support import MIN_CUSTOMERS, MIN_REPEAT_CUSTOMERS, FitSupport

__all__ = [
    "CALENDAR_MONTH",
    "CORRELATION_WARNING",
    "LIFETIMES_WEEKLY_MONTH",
    "MIN_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "BetaGeoModel",
    "Clv",
    "ClvValue",
    "FitError",
    "FitSupport",
    "FrequencyRow",
    "GammaGammaModel",
    "HoldoutCheck",
    "ParetoNbdModel",
    "PeriodRow",
    "PurchaseModel",
    "ReliabilityRow",
    "clv",
    "clv_columns",
    "holdout_check",
    "repeat_purchases_by_period",
]
