"""The decimal contexts every calculator uses, so a caller's context never changes a result."""

from __future__ import annotations

import decimal
from decimal import Decimal

# Sums and differences: unlimited precision, so always exact.
EXACT = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.InvalidOperation])
# Quotients (ratios, means): 28 significant digits, half-even, like the default context.
RATIO = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero],
)


def ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal:
    """``numerator / denominator`` to 28 significant digits (the caller checks for zero)."""
    return RATIO.divide(numerator, denominator)  # an int operand is converted exactly
