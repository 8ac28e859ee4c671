from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logicrm import Money
from logicrm.errors import CurrencyMismatchError, ValidationError
from strategies import amounts

yuan = amounts(min_value=Decimal(-(10**9)), max_value=Decimal(10**9)).map(lambda a: Money(a, "CNY"))


def test_amount_accepts_decimal_int_str_and_float_by_shortest_repr():
    assert Money(Decimal("1.50"), "CNY").amount == Decimal("1.50")
    assert Money(3, "CNY").amount == Decimal(3)
    assert Money("2.25", "CNY").amount == Decimal("2.25")
    assert Money(0.1, "CNY").amount == Decimal("0.1")  # not 0.1000000000000000055...


def test_amount_keeps_its_exponent():
    assert str(Money("1.50", "CNY").amount) == "1.50"


@pytest.mark.parametrize("bad", ["NaN", "Infinity", float("nan"), float("inf"), "abc", True, None])
def test_amount_rejects_non_finite_and_non_numbers(bad):
    with pytest.raises(ValidationError) as info:
        Money(bad, "CNY")
    assert info.value.field == "amount"


@pytest.mark.parametrize("bad", ["cny", "RMB", "US", "", 156, None])
def test_currency_must_be_an_iso_4217_code(bad):
    with pytest.raises(ValidationError) as info:
        Money(1, bad)
    assert info.value.field == "currency"


def test_worked_arithmetic():
    assert Money("120.50", "CNY") + Money("30", "CNY") == Money("150.50", "CNY")
    assert Money("120.50", "CNY") - Money("0.50", "CNY") == Money("120.00", "CNY")
    assert -Money("5", "CNY") == Money("-5", "CNY")
    assert abs(Money("-5", "CNY")) == Money("5", "CNY")
    assert Money("10.00", "CNY") * 3 == Money("30.00", "CNY")
    assert 3 * Money("10.00", "CNY") == Money("30.00", "CNY")
    assert Money("10", "CNY") / 4 == Money("2.5", "CNY")
    assert Money("10", "CNY") / Fraction(1, 2) == Money("20", "CNY")
    assert Money("30", "CNY") / Money("120", "CNY") == Decimal("0.25")
    assert sum([Money("1.10", "CNY"), Money("2.20", "CNY")]) == Money("3.30", "CNY")
    assert Money.zero("USD") == Money(0, "USD")


def test_division_by_zero_raises():
    with pytest.raises(ZeroDivisionError):
        Money(1, "CNY") / 0


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
        lambda a, b: a / b,
    ],
)
def test_mixing_currencies_raises(operation):
    with pytest.raises(CurrencyMismatchError):
        operation(Money(1, "CNY"), Money(1, "USD"))


def test_equality_across_currencies_is_false_not_an_error():
    assert Money(1, "CNY") != Money(1, "USD")


def test_unknown_operands_are_not_implemented():
    with pytest.raises(TypeError):
        Money(1, "CNY") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(1, "CNY") * Money(1, "CNY")  # type: ignore[operator]


@given(yuan, yuan, yuan)
def test_addition_is_associative_and_commutative(a, b, c):
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a


@given(yuan)
def test_zero_is_the_identity_and_negation_the_inverse(a):
    assert a + Money.zero("CNY") == a
    assert a + (-a) == Money.zero("CNY")
    assert a - a == Money.zero("CNY")


@given(yuan, yuan)
def test_order_agrees_with_subtraction(a, b):
    assert (a < b) == ((b - a).amount > 0)


@given(st.lists(yuan, max_size=10))
def test_sum_equals_the_sum_of_amounts(items):
    assert sum(items, Money.zero("CNY")).amount == sum((m.amount for m in items), Decimal(0))


@given(yuan, st.integers(-1000, 1000))
def test_multiplying_by_an_integer_is_repeated_addition(a, n):
    expected = sum([a] * abs(n), Money.zero("CNY"))
    assert a * n == (expected if n >= 0 else -expected)


def test_arithmetic_ignores_the_callers_decimal_context():
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 3
        assert Money("1234.56", "CNY") + Money("0.01", "CNY") == Money("1234.57", "CNY")


def test_a_library_call_inside_another_runs_in_the_librarys_context():
    # The inner call reuses the outer call's context only while it is still the current one.
    import decimal

    from logicrm.domain._money import in_library_context

    seen = []

    @in_library_context
    def inner():
        seen.append((decimal.getcontext().prec, decimal.getcontext().rounding))

    @in_library_context
    def outer():
        inner()
        with decimal.localcontext() as ctx:  # code the library runs (a plug-in) changes it
            ctx.prec, ctx.rounding = 5, decimal.ROUND_DOWN
            inner()
        inner()

    with decimal.localcontext() as ctx:
        ctx.prec = 3
        outer()
        inner()
    assert seen == [(34, decimal.ROUND_HALF_EVEN)] * 4


def test_money_is_frozen_and_hashable():
    m = Money(1, "CNY")
    with pytest.raises(AttributeError):
        m.amount = Decimal(2)  # type: ignore[misc]
    assert hash(Money("1.0", "CNY")) == hash(Money("1.00", "CNY"))
