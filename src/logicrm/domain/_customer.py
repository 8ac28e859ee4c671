"""Customers: who they are, how they are segmented, and where the record came from."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from logicrm.domain._checks import check_optional_aware, check_optional_text, check_text, fail
from logicrm.domain._checks import to_enum as _to_enum

_REDACTED = "<redacted>"


class CustomerKind(StrEnum):
    """The three kinds of logistics customer in the domain notes (个人 / 企业 / 政府及其他机构)."""

    INDIVIDUAL = "individual"
    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"


class CustomerSize(StrEnum):
    """Size of an enterprise or institution, as the customer record states it."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"


class AdministrativeLevel(StrEnum):
    """Level of a government body (国家级 / 省级 / 地市级), used to tier institutions."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"


class DataSource(StrEnum):
    """Provenance of a record: our own operations, or bought / gathered elsewhere."""

    INTERNAL = "internal"
    EXTERNAL = "external"


def _kind(value: object) -> CustomerKind:
    return _to_enum(CustomerKind, "kind", value)


def _size(value: object) -> CustomerSize | None:
    return None if value is None else _to_enum(CustomerSize, "size", value)


def _level(value: object) -> AdministrativeLevel | None:
    return None if value is None else _to_enum(AdministrativeLevel, "administrative_level", value)


def _source(value: object) -> DataSource:
    return _to_enum(DataSource, "source", value)


@attrs.frozen(kw_only=True, repr=False)
class ContactDetails:
    """How to reach a customer. Personal data: never shown in a repr, log line or error.

    Every field is optional; a given one must be a non-empty string.

    Examples:
        >>> ContactDetails(person="Li Wei", phone="+86 10 5555 0101")
        ContactDetails(<redacted>)
    """

    person: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("person", "phone", "email", "address"):
            check_optional_text(name, getattr(self, name), redact=True)
        if self.email is not None and "@" not in self.email:
            fail("email", self.email, "must contain '@'", redact=True)

    def __repr__(self) -> str:
        return f"ContactDetails({_REDACTED})"


@attrs.frozen(kw_only=True, repr=False)
class Customer:
    """A customer of the logistics company.

    Attributes:
        id: the customer's identifier in the user's systems.
        name: display name. For an individual this is personal data and ``repr`` hides it.
        kind: [`CustomerKind`][logicrm.domain.CustomerKind] (or its value, ``"enterprise"``).
        industry: the customer's industry (a segmentation criterion of the domain notes,
            like the three below).
        region: the geographic region.
        cargo: the cargo's attributes.
        service_mode: the mode of service.
        size: [`CustomerSize`][logicrm.domain.CustomerSize] as stated by the record (tiers
            institutions).
        administrative_level: [`AdministrativeLevel`][logicrm.domain.AdministrativeLevel] of a
            government body.
        registration_id: business registration number or similar.
        contact: [`ContactDetails`][logicrm.domain.ContactDetails]; never shown by ``repr`` or in
            errors.
        source: [`DataSource`][logicrm.domain.DataSource], internal (own operations) or external
            (bought, gathered).
        last_verified_at: when the record was last checked (aware datetime), ``None`` if never.
        owner: the account manager who owns the customer (a staff id, not personal data),
            ``None`` if none; the worklist gives them its items.

    Examples:
        >>> c = Customer(id="C1", name="Acme Auto Parts", kind="enterprise", region="East")
        >>> c.kind
        <CustomerKind.ENTERPRISE: 'enterprise'>
    """

    id: str
    name: str
    kind: CustomerKind = attrs.field(converter=_kind)
    industry: str | None = None
    region: str | None = None
    size: CustomerSize | None = attrs.field(default=None, converter=_size)
    administrative_level: AdministrativeLevel | None = attrs.field(default=None, converter=_level)
    cargo: str | None = None
    service_mode: str | None = None
    registration_id: str | None = None
    contact: ContactDetails | None = None
    source: DataSource = attrs.field(default=DataSource.INTERNAL, converter=_source)
    last_verified_at: datetime | None = None
    owner: str | None = None

    def __attrs_post_init__(self) -> None:
        check_text("id", self.id)
        check_text("name", self.name, redact=self.kind is CustomerKind.INDIVIDUAL)
        for name in ("industry", "region", "cargo", "service_mode", "registration_id", "owner"):
            check_optional_text(name, getattr(self, name))
        if self.contact is not None and not isinstance(self.contact, ContactDetails):
            fail("contact", self.contact, "must be ContactDetails", redact=True)
        check_optional_aware("last_verified_at", self.last_verified_at)

    def verification_age(self, *, as_of: datetime) -> timedelta | None:
        """How long since the record was last verified, or ``None`` if it never was."""
        if self.last_verified_at is None:
            return None
        return as_of - self.last_verified_at

    @property
    def display_name(self) -> str:
        """The name fit for reports and logs: ``<redacted>`` for an individual."""
        return _REDACTED if self.kind is CustomerKind.INDIVIDUAL else self.name

    def __repr__(self) -> str:
        name = _REDACTED if self.kind is CustomerKind.INDIVIDUAL else repr(self.name)
        parts = [f"id={self.id!r}", f"name={name}", f"kind={self.kind.value!r}"]
        for field in ("industry", "region", "size", "administrative_level", "source", "owner"):
            value = getattr(self, field)
            if value is not None:
                parts.append(f"{field}={getattr(value, 'value', value)!r}")
        if self.contact is not None:
            parts.append(f"contact={_REDACTED}")
        return f"Customer({', '.join(parts)})"
