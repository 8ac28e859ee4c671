"""Service levels: what customers require, what management believes, what we set and promise."""

from __future__ import annotations

import math
from enum import StrEnum

import attrs

from logicrm.domain._checks import check_optional_text, fail
from logicrm.domain._checks import to_enum as _to_enum


class ServiceMeasure(StrEnum):
    """The service measures of the domain notes (客户服务衡量指标) and three composites.

    Rates are shares from 0 to 1; order-cycle measures are in hours.
    """

    AVG_ORDER_CYCLE_HOURS = "avg_order_cycle_hours"
    ORDER_CYCLE_STDEV_HOURS = "order_cycle_stdev_hours"
    FILL_RATE = "fill_rate"
    INVOICE_ERROR_RATE = "invoice_error_rate"
    DAMAGE_RATE = "damage_rate"
    STOCKOUT_RATE = "stockout_rate"
    SUBSTITUTION_RATE = "substitution_rate"
    LATE_DELIVERY_RATE = "late_delivery_rate"
    SHORT_SHIPMENT_RATE = "short_shipment_rate"
    REROUTE_RATE = "reroute_rate"
    RETURN_RATE = "return_rate"
    ON_TIME_RATE = "on_time_rate"
    OTIF_RATE = "otif_rate"
    PERFECT_ORDER_RATE = "perfect_order_rate"

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger value is better service (fill and on-time rates are)."""
        return self in _HIGHER_IS_BETTER

    @property
    def is_rate(self) -> bool:
        """Whether the measure is a share from 0 to 1 (the order-cycle ones are hours)."""
        return self not in _HOURS


_HIGHER_IS_BETTER = frozenset(
    {
        ServiceMeasure.FILL_RATE,
        ServiceMeasure.ON_TIME_RATE,
        ServiceMeasure.OTIF_RATE,
        ServiceMeasure.PERFECT_ORDER_RATE,
    }
)
_HOURS = frozenset({ServiceMeasure.AVG_ORDER_CYCLE_HOURS, ServiceMeasure.ORDER_CYCLE_STDEV_HOURS})


class StandardKind(StrEnum):
    """Whose level a [`ServiceStandard`][logicrm.domain.ServiceStandard] states (the five-gap
    model's reference points)."""

    REQUIREMENT = "requirement"  # what customers say they require
    BELIEF = "belief"  # what management believes customers require
    STANDARD = "standard"  # the service standard the company set
    PROMISE = "promise"  # what was promised: published claims, contract SLAs


def _measure(value: object) -> ServiceMeasure:
    return _to_enum(ServiceMeasure, "measure", value)


def _kind(value: object) -> StandardKind:
    return _to_enum(StandardKind, "kind", value)


@attrs.frozen(kw_only=True)
class ServiceStandard:
    """One service level for one measure: a requirement, a belief, a standard or a promise.

    Attributes:
        measure: the [`ServiceMeasure`][logicrm.domain.ServiceMeasure].
        kind: the [`StandardKind`][logicrm.domain.StandardKind] (whose level this is).
        target: the level (a share from 0 to 1 for rates, hours for order-cycle measures).
        source: where it comes from ("2026 customer survey", "contract C-17"), optional.

    Examples:
        >>> ServiceStandard(measure="on_time_rate", kind="promise", target=0.95).kind
        <StandardKind.PROMISE: 'promise'>
    """

    measure: ServiceMeasure = attrs.field(converter=_measure)
    kind: StandardKind = attrs.field(converter=_kind)
    target: float
    source: str | None = None

    def __attrs_post_init__(self) -> None:
        value = self.target
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            fail("target", value, "must be a finite number")
        if self.measure.is_rate and not 0 <= value <= 1:
            fail("target", value, "must be a share from 0 to 1 for a rate")
        if value < 0:
            fail("target", value, "must be >= 0")
        check_optional_text("source", self.source)
