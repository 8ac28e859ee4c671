"""Who owns each customer's work, and how much of it one account manager takes in a week."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

import attrs

from logicrm.domain._checks import check_int, check_text, fail, to_enum
from logicrm.scoring import AbcClass, Tier

K = TypeVar("K")

_MAX_CAPACITY = 10_000


def _owners_by(field: str, convert: type[K] | None, value: object) -> Mapping[K, str]:
    if not isinstance(value, Mapping):
        fail(field, value, "must map names to owner ids")
    given: dict[K, str] = {}
    for key, owner in value.items():
        member = key if convert is None else to_enum(convert, field, key)  # type: ignore[type-var]
        if convert is None:
            check_text(f"{field} key", key)
        check_text(f"{field}.{getattr(member, 'value', member)}", owner)
        given[member] = owner
    return MappingProxyType(given)


def _by_tier(value: object) -> Mapping[Tier, str]:
    return _owners_by("by_tier", Tier, value)


def _by_class(value: object) -> Mapping[AbcClass, str]:
    return _owners_by("by_class", AbcClass, value)


def _by_region(value: object) -> Mapping[str, str]:
    return _owners_by("by_region", None, value)


def _capacity(value: object) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        fail("capacity", value, "must map owner ids to items a week")
    for owner, items in value.items():
        check_text("capacity key", owner)
        check_int(f"capacity.{owner}", items, min_value=0, max_value=_MAX_CAPACITY)
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class OwnerPolicy:
    """Who owns a customer's work items when the customer record names no owner, and how
    many items each owner takes in a week.

    A customer's own ``owner`` comes first; else its region's owner (``by_region``), else its
    Pareto class's (``by_class``), else its tier's (``by_tier``); else the item is
    *unowned* and listed as such, with no capacity limit. Owners are staff ids, not
    personal data.

    Attributes:
        by_region: region (as [`Customer.region`][logicrm.domain.Customer] spells it) ->
            owner id.
        by_class: [`AbcClass`][logicrm.scoring.AbcClass] (``"A"``, ``"B"``, ``"C"``) ->
            owner id.
        by_tier: [`Tier`][logicrm.scoring.Tier] value -> owner id.
        capacity: owner id -> work items a week (0 to 10,000). Items past it are deferred,
            lowest priority first.
        default_capacity: the capacity of an owner ``capacity`` does not name; ``None`` (the
            default) means no limit.

    Examples:
        >>> policy = OwnerPolicy(by_region={"East": "AM-1"}, capacity={"AM-1": 25})
        >>> policy.owner(None, region="East", tier=None, abc_class=None), policy.limit("AM-1")
        ('AM-1', 25)
        >>> policy.limit("AM-2") is None
        True
    """

    by_region: Mapping[str, str] = attrs.field(factory=dict, converter=_by_region, hash=False)
    by_class: Mapping[AbcClass, str] = attrs.field(factory=dict, converter=_by_class, hash=False)
    by_tier: Mapping[Tier, str] = attrs.field(factory=dict, converter=_by_tier, hash=False)
    capacity: Mapping[str, int] = attrs.field(factory=dict, converter=_capacity, hash=False)
    default_capacity: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.default_capacity is not None:
            check_int("default_capacity", self.default_capacity, min_value=0,
                      max_value=_MAX_CAPACITY)  # fmt: skip

    def owner(
        self,
        given: str | None,
        *,
        region: str | None,
        tier: Tier | None,
        abc_class: AbcClass | None,
    ) -> str | None:
        """The owner of a customer's items: ``given`` (the record's), else by region, class
        or tier, else ``None`` (unowned)."""
        if given is not None:
            return given
        if region is not None and region in self.by_region:
            return self.by_region[region]
        if abc_class is not None and abc_class in self.by_class:
            return self.by_class[abc_class]
        if tier is not None and tier in self.by_tier:
            return self.by_tier[tier]
        return None

    def limit(self, owner: str) -> int | None:
        """How many items ``owner`` takes a week; ``None`` for no limit."""
        return self.capacity.get(owner, self.default_capacity)
