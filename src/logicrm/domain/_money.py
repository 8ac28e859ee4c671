"""Money: a Decimal amount in one ISO-4217 currency."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any

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

# Arithmetic uses its own context so that a caller's decimal.getcontext() cannot change results.
_CONTEXT = decimal.Context(
    prec=34, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation]
)


def to_decimal(field: str, value: object) -> Decimal:
    """A finite Decimal from a Decimal, int, numeric string or float (by its shortest repr)."""
    kind = type(value)
    if kind is Decimal:
        result = value
    elif kind is int:
        result = Decimal(value)  # type: ignore[arg-type]
    elif kind is str or kind is float:
        try:
            result = Decimal(value if kind is str else repr(value))  # type: ignore[arg-type]
        except decimal.InvalidOperation:
            fail(field, value, "must be a decimal number")
    elif isinstance(value, Decimal):
        result = Decimal(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(int(value))
    else:
        fail(field, value, "must be a Decimal, int, str or float amount")
    if not result.is_finite():  # type: ignore[attr-defined]
        fail(field, value, "must be finite (NaN and infinity are not amounts)")
    return result  # type: ignore[return-value]


def check_currency(field: str, value: object) -> str:
    if type(value) is not str or value not in ISO_4217:
        fail(field, value, "must be an upper-case ISO-4217 currency code such as 'CNY'")
    return value


def _number(value: object) -> Decimal:
    """A multiplier or divisor for Money; floats go by their shortest repr, like amounts."""
    if isinstance(value, Fraction):
        return _CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return to_decimal("operand", value)


@attrs.frozen(init=False, order=False)
class Money:
    """An amount of money in one currency. Never a float inside.

    ``amount`` takes a ``Decimal``, an ``int``, a numeric ``str`` or a ``float`` (read by its
    shortest repr, so ``0.1`` is ``Decimal("0.1")``); NaN and infinity are rejected.
    ``currency`` is an upper-case ISO-4217 code. The amount keeps its exponent, so
    ``Money("1.50", "CNY")`` serialises back as ``"1.50"``.

    Arithmetic: ``+`` and ``-`` between amounts in the same currency, unary ``-``, ``abs``,
    ``*`` and ``/`` by a number, ``/`` by Money of the same currency (a ``Decimal`` ratio),
    and ``<``, ``<=``, ``>``, ``>=``. Mixing currencies in arithmetic or ordering raises
    :class:`~logicrm.errors.CurrencyMismatchError`; ``==`` between different currencies is
    simply ``False``. ``0 + money`` works, so ``sum(amounts)`` does.
    Arithmetic runs in a private decimal context (34 digits, half-even), never the caller's.

    Example:
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
            return Money._trusted(_CONTEXT.add(self.amount, other.amount), self.currency)
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        if type(other) is int and other == 0:  # lets sum() start from 0
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "subtract")
            return Money._trusted(_CONTEXT.subtract(self.amount, other.amount), self.currency)
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
        return Money._trusted(_CONTEXT.multiply(self.amount, _number(other)), self.currency)

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
        return Money._trusted(_CONTEXT.divide(self.amount, divisor), self.currency)

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
