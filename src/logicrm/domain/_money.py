"""Money: a Decimal amount in one ISO-4217 currency."""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable
from contextvars import ContextVar
from decimal import Decimal
from fractions import Fraction
from typing import Any, ParamSpec, TypeVar

import attrs

from logicrm.domain._checks import fail
from logicrm.errors import CurrencyMismatchError

# Active ISO-4217 codes (funds and precious-metal codes included, XTS and XXX left out).
# ANG stays beside its successor XCG while the switch-over is recent.
ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW
    ZWG
    """.split()  # noqa: SIM905 - a block of codes reads better than a list
)

# Every calculation runs in this context, so that a caller's decimal.getcontext() cannot
# change results: 34 digits (IEEE decimal128), half-even, invalid operations, division by
# zero and overflow trapped.
CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_CONTEXT = CONTEXT

MAX_DIGITS = 34
"""Significant digits an amount or a decimal figure may have."""
MAX_PLACES = 34
"""Digits after the decimal point an amount or a decimal figure may have."""
MAX_MAGNITUDE_EXPONENT = 18
"""Amounts and decimal figures are less than ``10 ** 18`` in size."""
_RANGE = (
    f"must have at most {MAX_DIGITS} significant digits and {MAX_PLACES} decimal places, "
    f"and be less than 10^{MAX_MAGNITUDE_EXPONENT} in size"
)

# The context the outermost library call installed (per thread and task, as decimal's own):
# a call made inside it, while it is still the current context, needs no new one.
_INSTALLED: ContextVar[decimal.Context | None] = ContextVar("logicrm_decimal", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def in_library_context(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in the library's decimal context, whatever the caller's is."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if decimal.getcontext() is _INSTALLED.get():  # called by the library, in its context
            return function(*args, **kwargs)
        with decimal.localcontext(CONTEXT) as context:
            token = _INSTALLED.set(context)
            try:
                return function(*args, **kwargs)
            finally:
                _INSTALLED.reset(token)

    return wrapper


def in_range(value: Decimal) -> bool:
    """Whether a finite Decimal is within the range of amounts (see
    [`MAX_DIGITS`][logicrm.domain.MAX_DIGITS])."""
    sign_digits_exponent = value.as_tuple()
    exponent = sign_digits_exponent.exponent
    return (
        type(exponent) is int
        and exponent >= -MAX_PLACES
        and len(sign_digits_exponent.digits) <= MAX_DIGITS
        and value.adjusted() < MAX_MAGNITUDE_EXPONENT
    )


def to_decimal(field: str, value: object) -> Decimal:
    """A finite Decimal within the range of amounts, from a Decimal, int, numeric string or
    float (by its shortest repr). Anything else, or a value out of range, is a
    ``ValidationError`` naming ``field``; no text is parsed unbounded."""
    kind = type(value)
    if kind is Decimal:
        result = value
    elif kind is int:
        if value.bit_length() > 64:  # type: ignore[attr-defined]
            fail(field, value, _RANGE)
        result = Decimal(value)  # type: ignore[arg-type]
    elif kind is str or kind is float:
        if kind is str and len(value) > 64:  # type: ignore[arg-type]
            fail(field, value, f"must be a decimal number ({_RANGE})")
        try:
            result = Decimal(value if kind is str else repr(value))  # type: ignore[arg-type]
        except decimal.InvalidOperation:
            fail(field, value, "must be a decimal number")
    elif isinstance(value, Decimal):
        result = Decimal(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        return to_decimal(field, int(value))
    else:
        fail(field, value, "must be a Decimal, int, str or float amount")
    if not result.is_finite():  # type: ignore[attr-defined]
        fail(field, value, "must be finite (NaN and infinity are not amounts)")
    if not in_range(result):  # type: ignore[arg-type]
        fail(field, value, _RANGE)
    return result  # type: ignore[return-value]


def to_finite_decimal(field: str, value: object) -> Decimal:
    """A finite Decimal of any size, for totals and figures computed from amounts (a
    customer's revenue over millions of shipments may pass 10^18); still no text or integer
    is parsed unbounded."""
    if type(value) is Decimal:
        result = value
    elif type(value) is int and value.bit_length() <= 256:
        result = Decimal(value)
    elif type(value) is float:
        result = Decimal(repr(value))
    else:
        return to_decimal(field, value)
    if not result.is_finite():
        fail(field, value, "must be finite (NaN and infinity are not amounts)")
    return result


def check_currency(field: str, value: object) -> str:
    if type(value) is not str or value not in ISO_4217:
        fail(field, value, "must be an upper-case ISO-4217 currency code such as 'CNY'")
    return value


def _number(value: object) -> Decimal:
    """A multiplier or divisor for Money; floats go by their shortest repr, like amounts.

    Any finite number of reasonable size will do (a ratio may carry 34 digits); the result
    is held to the range of amounts by ``_result``."""
    if isinstance(value, Fraction):
        numerator, denominator = value.numerator, value.denominator
        if max(numerator.bit_length(), denominator.bit_length()) > 256:
            fail("operand", value, "must be a number of reasonable size")
        return _CONTEXT.divide(Decimal(numerator), Decimal(denominator))
    number = to_finite_decimal("operand", value)
    if abs(number.adjusted()) > 2 * MAX_MAGNITUDE_EXPONENT:
        fail("operand", value, "must be a finite number of reasonable size")
    return number


def _result(amount: Decimal) -> Decimal:
    # Arithmetic may add digits (a division), but never leaves the range of amounts.
    if amount.adjusted() >= MAX_MAGNITUDE_EXPONENT:
        fail("amount", amount, f"is out of range: amounts are below 10^{MAX_MAGNITUDE_EXPONENT}")
    return amount


@attrs.frozen(init=False, order=False)
class Money:
    """An amount of money in one currency. Never a float inside.

    ``amount`` takes a ``Decimal``, an ``int``, a numeric ``str`` or a ``float`` (read by its
    shortest repr, so ``0.1`` is ``Decimal("0.1")``); NaN and infinity are rejected. ``currency`` is
    an upper-case ISO-4217 code. The amount keeps its exponent, so ``Money("1.50", "CNY")``
    serialises back as ``"1.50"``. An amount has at most 34 significant digits and 34 decimal places
    and is less than 10^18 in size; anything outside that range (``"1e-999999999"``, a million-digit
    number) is refused with a [`ValidationError`][logicrm.errors.ValidationError], and so is
    arithmetic whose result would leave it, so no sum can become infinite.

    Arithmetic: ``+`` and ``-`` between amounts in the same currency, unary ``-``, ``abs``,
    ``*`` and ``/`` by a number, ``/`` by Money of the same currency (a ``Decimal`` ratio), and
    ``<``, ``<=``, ``>``, ``>=``. Mixing currencies in arithmetic or ordering raises
    [`CurrencyMismatchError`][logicrm.errors.CurrencyMismatchError]; ``==`` between different
    currencies is simply ``False``. ``0 + money`` works, so ``sum(amounts)`` does. Arithmetic runs
    in a private decimal context (34 digits, half-even), never the caller's.

    Examples:
        >>> total = sum([Money("120.50", "CNY"), Money(30, "CNY")])
        >>> total
        Money(amount=Decimal('150.50'), currency='CNY')
        >>> total / 2
        Money(amount=Decimal('75.25'), currency='CNY')
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str | float, currency: str) -> None:
        _SET_AMOUNT(self, to_decimal("amount", amount))
        _SET_CURRENCY(self, check_currency("currency", currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        return cls(Decimal(0), currency)

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Money:
        # For results of arithmetic on amounts that were already validated.
        money = _new(cls)
        _SET_AMOUNT(money, amount)
        _SET_CURRENCY(money, currency)
        return money

    def _same(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency, operation)

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "add")
            return Money._trusted(_result(_CONTEXT.add(self.amount, other.amount)), self.currency)
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        if type(other) is int and other == 0:  # lets sum() start from 0
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "subtract")
            return Money._trusted(
                _result(_CONTEXT.subtract(self.amount, other.amount)), self.currency
            )
        return NotImplemented

    def __neg__(self) -> Money:
        return Money._trusted(_CONTEXT.minus(self.amount), self.currency)

    def __abs__(self) -> Money:
        return Money._trusted(_CONTEXT.abs(self.amount), self.currency)

    def __mul__(self, other: object) -> Money:
        if isinstance(other, Money | bool):
            return NotImplemented
        if not isinstance(other, int | Decimal | float | Fraction):
            return NotImplemented
        return Money._trusted(
            _result(_CONTEXT.multiply(self.amount, _number(other))), self.currency
        )

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Any:
        if isinstance(other, Money):
            self._same(other, "divide")
            return _CONTEXT.divide(self.amount, other.amount)
        if isinstance(other, bool) or not isinstance(other, int | Decimal | float | Fraction):
            return NotImplemented
        divisor = _number(other)
        if not divisor:
            raise ZeroDivisionError("Money divided by zero")
        return Money._trusted(_result(_CONTEXT.divide(self.amount, divisor)), self.currency)

    def _compare(self, other: object) -> Decimal | None:
        if not isinstance(other, Money):
            return None
        self._same(other, "compare")
        return other.amount

    def __lt__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount < amount

    def __le__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount <= amount

    def __gt__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount > amount

    def __ge__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount >= amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


_new = object.__new__
_SET_AMOUNT = Money.__dict__["amount"].__set__
_SET_CURRENCY = Money.__dict__["currency"].__set__
