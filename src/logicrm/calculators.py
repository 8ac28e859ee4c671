"""Plugging in your own calculators: protocols, a registry and entry-point discovery.

A calculator is a plain callable. Its *kind* says what it computes and which `typing.Protocol` it
satisfies:

- ``value``: [`ValueCalculator`][logicrm.calculators.ValueCalculator],
  ``(customer, activity, *, as_of) -> ValueScore``;
- ``credit``: [`CreditCalculator`][logicrm.calculators.CreditCalculator],
  ``(profile, *, as_of, activity) -> CreditDecision``;
- ``gap``: [`GapCalculator`][logicrm.calculators.GapCalculator],
  ``(kpis, standards, *, servqual, management) -> FiveGapsReport``;
- ``action``: [`ActionCalculator`][logicrm.calculators.ActionCalculator],
  ``(customer, activity, assessment, *, as_of, profile) -> NextBestAction``.

The built-in ``logicrm.value``, ``logicrm.credit`` and ``logicrm.action`` use the run's
[`Policies`][logicrm.policies.Policies] when [`assess()`][logicrm.assess] is given them.

Register one in code with [`register()`][logicrm.calculators.register], or ship it in a package that
declares an entry point in the group ``logicrm.calculators`` pointing at a
[`Calculator`][logicrm.calculators.Calculator]:

```toml
[project.entry-points."logicrm.calculators"]
acme-margin = "acme_logicrm:margin_value"
```

Installed plug-ins are discovered the first time the registry is read. Every calculator,
built-in or not, is used the same way, e.g. ``logicrm.assess(..., value_calculator="acme.margin")``.

Examples:
    >>> from logicrm import calculators
    >>> calculators.get("logicrm.value").kind
    <CalculatorKind.VALUE: 'value'>
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, final

import attrs

from logicrm.domain import CreditProfile, Customer, ServiceStandard
from logicrm.domain._checks import check_text, fail
from logicrm.domain._checks import to_enum as _to_enum
from logicrm.errors import UnknownCalculatorError
from logicrm.quality import FiveGapsReport, ServiceKpis, ServqualResult, five_gaps
from logicrm.retention import NextBestAction, next_best_action
from logicrm.scoring import Activity, CreditDecision, ValueScore, assess_credit, value_score

__all__ = [
    "ENTRY_POINT_GROUP",
    "ActionCalculator",
    "Calculator",
    "CalculatorKind",
    "CreditCalculator",
    "GapCalculator",
    "ValueCalculator",
    "available",
    "failed",
    "get",
    "register",
    "unregister",
]

ENTRY_POINT_GROUP = "logicrm.calculators"


class CalculatorKind(StrEnum):
    """What a calculator computes."""

    VALUE = "value"
    CREDIT = "credit"
    GAP = "gap"
    ACTION = "action"


class ValueCalculator(Protocol):
    """Scores a customer's value from its activity; returns a
    [`ValueScore`][logicrm.scoring.ValueScore]."""

    def __call__(
        self, customer: Customer, activity: Activity, *, as_of: datetime
    ) -> ValueScore: ...


class CreditCalculator(Protocol):
    """Decides on a customer's credit; returns a
    [`CreditDecision`][logicrm.scoring.CreditDecision]."""

    def __call__(
        self, profile: CreditProfile, *, as_of: datetime, activity: Activity | None
    ) -> CreditDecision: ...


class GapCalculator(Protocol):
    """Measures service gaps; returns a [`FiveGapsReport`][logicrm.quality.FiveGapsReport]."""

    def __call__(
        self,
        kpis: ServiceKpis,
        standards: Iterable[ServiceStandard],
        *,
        servqual: ServqualResult | None,
        management: ServqualResult | None,
    ) -> FiveGapsReport: ...


class ActionCalculator(Protocol):
    """Chooses a customer's next best action from its assessment so far; returns a
    [`NextBestAction`][logicrm.retention.NextBestAction]."""

    def __call__(
        self,
        customer: Customer,
        activity: Activity,
        assessment: Any,
        *,
        as_of: datetime,
        profile: CreditProfile | None,
    ) -> NextBestAction: ...


def _kind(value: object) -> CalculatorKind:
    return _to_enum(CalculatorKind, "kind", value)


@final
@attrs.frozen(kw_only=True)
class Calculator:
    """A named calculator of one kind.

    Attributes:
        name: a unique, dotted name (``"acme.margin"``); built-ins start with ``logicrm.``.
        kind: the [`CalculatorKind`][logicrm.calculators.CalculatorKind], which fixes the protocol
            ``function`` follows.
        function: the callable itself.
        description: one line for people (shown by listings).
    """

    name: str
    kind: CalculatorKind = attrs.field(converter=_kind)
    function: Callable[..., Any]
    description: str = ""

    def __attrs_post_init__(self) -> None:
        check_text("name", self.name)
        if not callable(self.function):
            fail("function", self.function, "must be callable")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)


_BUILT_IN = (
    Calculator(
        name="logicrm.value",
        kind=CalculatorKind.VALUE,
        function=value_score,
        description="the four value dimensions with the default ValueModel",
    ),
    Calculator(
        name="logicrm.credit",
        kind=CalculatorKind.CREDIT,
        function=assess_credit,
        description="5C scorecard, ratio checks, limit and term with the default CreditPolicy",
    ),
    Calculator(
        name="logicrm.gaps",
        kind=CalculatorKind.GAP,
        function=five_gaps,
        description="the five gaps per service measure and SERVQUAL dimension",
    ),
    Calculator(
        name="logicrm.action",
        kind=CalculatorKind.ACTION,
        function=next_best_action,
        description="one of the 2/8 rule's six sales actions, with lever and incentive",
    ),
)

_registry: dict[str, Calculator] = {c.name: c for c in _BUILT_IN}
_failed: dict[str, str] = {}
_discovered = False


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    from importlib.metadata import entry_points  # costly to import; only needed here

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as error:
            _reject(entry.name, f"could not be loaded: {type(error).__name__}: {error}")
            continue
        if not isinstance(loaded, Calculator):
            _reject(entry.name, f"points at {type(loaded).__name__}, not a Calculator")
            continue
        _registry.setdefault(loaded.name, loaded)  # what is registered already stays


def _reject(name: str, why: str) -> None:
    _failed[name] = why
    warnings.warn(f"logicrm plug-in {name!r} skipped: {why}", RuntimeWarning, stacklevel=3)


def register(calculator: Calculator, *, replace: bool = False) -> Calculator:
    """Add ``calculator`` to the registry (and return it, so it works as a decorator's end).

    Raises:
        ValidationError: the name is taken and ``replace`` is false.
    """
    if not isinstance(calculator, Calculator):
        fail("calculator", calculator, "must be a Calculator")
    _discover()
    if calculator.name in _registry and not replace:
        fail("name", calculator.name, "is registered already (pass replace=True)")
    _registry[calculator.name] = calculator
    return calculator


def unregister(name: str) -> None:
    """Remove a calculator you registered (built-ins stay)."""
    if name in {c.name for c in _BUILT_IN}:
        fail("name", name, "is built in and cannot be removed")
    _discover()
    _registry.pop(name, None)


def available(kind: CalculatorKind | str | None = None) -> dict[str, Calculator]:
    """Every calculator installed (of ``kind``, if given), by name."""
    _discover()
    wanted = None if kind is None else _kind(kind)
    return {name: c for name, c in sorted(_registry.items()) if wanted is None or c.kind is wanted}


def get(name: str, *, kind: CalculatorKind | str | None = None) -> Calculator:
    """The calculator called ``name``.

    Raises:
        UnknownCalculatorError: nothing of that name (and kind) is installed.
    """
    found = available(kind).get(name)
    if found is None:
        raise UnknownCalculatorError(name, available(kind))
    return found


def failed() -> dict[str, str]:
    """Plug-ins that were found but skipped, with the reason (entry-point name -> why)."""
    _discover()
    return dict(_failed)
