"""Special functions in log space that stay exact for customers with thousands of repeat orders."""

from __future__ import annotations

import numpy as np
from scipy import special

from logicrm.models._fit import _Array

_LARGE = 1e4


def _log_rising(z: float, x: _Array) -> _Array:
    """log Gamma(z + x) - log Gamma(z), accurate however large z is.

    The plain difference of two ``gammaln`` values loses every digit once z is large (each
    is about z log z), and an optimiser will happily climb that noise. For large z the
    leading terms of Stirling's series are differenced analytically instead.
    """
    if z < _LARGE:
        return special.gammaln(z + x) - special.gammaln(z)
    return (z - 0.5) * np.log1p(x / z) + x * np.log(z + x) - x + (1 / (12 * (z + x)) - 1 / (12 * z))
