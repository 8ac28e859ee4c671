"""Every policy in one file: load, check and write the settings that drive the calculators.

A [`Policies`][logicrm.policies.Policies] bundles the policy objects the library's calculators take
(tiering, Pareto cut-offs, value, lifecycle, churn, credit, complaint SLAs, contacts, the cost to
serve and the next best action), so one TOML or JSON
file configures ``logicrm score`` and your own code alike. A file need only name what it changes;
everything else keeps the domain default.

Examples:
    >>> policies = loads_policies('[lifecycle]\\nlapsed_after_days = 120\\n', format="toml")
    >>> policies.lifecycle.lapsed_after_days, policies.churn.recent_days
    (120, 90)
    >>> "lapsed_after_days = 180" in dumps_policies(Policies())
    True
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from logicrm.domain._checks import check_rate, fail
from logicrm.errors import Problem, ValidationError
from logicrm.quality import ComplaintPolicy
from logicrm.retention import ActionPolicy, ContactPolicy, OwnerPolicy, ServiceCostPolicy
from logicrm.scoring import (
    CRITERIA,
    ChurnPolicy,
    CreditPolicy,
    LifecyclePolicy,
    TieringPolicy,
    ValueModel,
)

__all__ = ["ParetoCutoffs", "Policies", "dumps_policies", "load_policies", "loads_policies"]

_MAX_SETTINGS_CHARS = 1_048_576


_BASES = ("revenue", "profit")


@attrs.frozen(kw_only=True)
class ParetoCutoffs:
    """The Pareto classes and the key customers.

    The notes: key customers are about 5% of customers and bring about 80% of sales or
    profit; both halves matter.

    Attributes:
        a: class A ends where the customers ranked above hold this share of the total (0.8,
            the notes' 80%).
        b: class B ends at this share (0.95; logicrm's choice).
        basis: what customers are ranked by over the 365 days before ``as_of``:
            ``"revenue"`` (sales, the default) or ``"profit"`` (revenue less shipment cost).
        key_max_share: key customers are class A customers among the first this share of
            all ranked customers, rounded up, at least one (0.05, the notes' ~5%; 0.2 for
            the 2/8 rule; 1.0 makes every class A customer key).
    """

    a: float = 0.8
    b: float = 0.95
    basis: str = "revenue"
    key_max_share: float = 0.05

    def __attrs_post_init__(self) -> None:
        check_rate("a", self.a)
        check_rate("b", self.b)
        if not 0 < self.a <= self.b <= 1:
            fail("a", self.a, f"must satisfy 0 < a <= b <= 1 (b is {self.b})")
        if self.basis not in _BASES:
            fail("basis", self.basis, "must be 'revenue' or 'profit'")
        check_rate("key_max_share", self.key_max_share)
        if self.key_max_share <= 0:
            fail("key_max_share", self.key_max_share, "must be above 0")


@attrs.frozen(kw_only=True)
class Policies:
    """All the policies of one assessment run, each with the domain defaults.

    Attributes:
        tiering: [`TieringPolicy`][logicrm.scoring.TieringPolicy].
        pareto: [`ParetoCutoffs`][logicrm.policies.ParetoCutoffs] for the ABC classes.
        value: [`ValueModel`][logicrm.scoring.ValueModel].
        lifecycle: [`LifecyclePolicy`][logicrm.scoring.LifecyclePolicy].
        churn: [`ChurnPolicy`][logicrm.scoring.ChurnPolicy].
        credit: [`CreditPolicy`][logicrm.scoring.CreditPolicy].
        complaint: [`ComplaintPolicy`][logicrm.quality.ComplaintPolicy].
        contact: [`ContactPolicy`][logicrm.retention.ContactPolicy]: follow-up, survey and
            record-check intervals.
        service_cost: [`ServiceCostPolicy`][logicrm.retention.ServiceCostPolicy]: the cost of
            complaints, follow-ups and exceptions.
        action: [`ActionPolicy`][logicrm.retention.ActionPolicy]: the next-best-action rules.
        owners: [`OwnerPolicy`][logicrm.retention.OwnerPolicy]: who owns the work items of
            customers whose record names no owner, and each owner's weekly capacity.
    """

    tiering: TieringPolicy = TieringPolicy()
    pareto: ParetoCutoffs = ParetoCutoffs()
    value: ValueModel = ValueModel()
    lifecycle: LifecyclePolicy = LifecyclePolicy()
    churn: ChurnPolicy = ChurnPolicy()
    credit: CreditPolicy = CreditPolicy()
    complaint: ComplaintPolicy = ComplaintPolicy()
    contact: ContactPolicy = ContactPolicy()
    service_cost: ServiceCostPolicy = ServiceCostPolicy()
    action: ActionPolicy = ActionPolicy()
    owners: OwnerPolicy = OwnerPolicy()

    def __attrs_post_init__(self) -> None:
        # A rule that names something no other policy knows means nothing: refuse it.
        known = self.contact.known_purposes
        unknown = [p for p in self.service_cost.follow_up_purposes if p not in known]
        if unknown:
            fail(
                "service_cost.follow_up_purposes",
                unknown,
                "names purposes neither Purpose nor contact.purposes lists",
            )
        ratings = {c for names in CRITERIA.values() for c in names} | {"workforce"}
        for name in ("organisation_ratings", "workforce_ratings"):
            odd = [r for r in getattr(self.action, name) if r not in ratings]
            if odd:
                fail(
                    f"action.{name}",
                    odd,
                    "names ratings no credit framework has (5C, 5P, 6A criteria, or workforce)",
                )


def loads_policies(text: str, *, format: str) -> Policies:
    """Read policies from TOML or JSON text (``format`` is ``"toml"`` or ``"json"``).

    Raises:
        ValidationError: the text does not parse, a key is unknown (a misspelling is
            reported, never ignored), or a value breaks a policy's rule; the field is the
            dotted path inside the file, such as ``credit.score_bands[1].term_days``.
    """
    from logicrm.serialization import from_dict

    if format not in ("toml", "json"):
        fail("format", format, "must be 'toml' or 'json'")
    return from_dict(Policies, _parse_settings(text, format=format, what="policy file"))


def _parse_settings(text: str, *, format: str, what: str) -> Any:
    """TOML or JSON text as data; anything unparsable is a ValidationError."""
    if len(text) > _MAX_SETTINGS_CHARS:
        raise _unreadable(f"the {what} is over {_MAX_SETTINGS_CHARS:,} characters")
    try:
        return tomllib.loads(text) if format == "toml" else json.loads(text)
    except RecursionError:
        raise _unreadable(f"the {what} is nested too deeply") from None
    except (ValueError, tomllib.TOMLDecodeError) as error:
        name = "TOML" if format == "toml" else "JSON"
        message = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise _unreadable(f"the {what} is not valid {name} ({message})") from None


def _unreadable(message: str) -> ValidationError:
    return ValidationError.from_problems([Problem("", message)])


def _read_settings(path: str | Path, *, what: str) -> Any:
    """A ``.toml`` or ``.json`` settings file as data, with the library's own errors for a
    missing file, another suffix, text that is not UTF-8 or does not parse."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise _unreadable(f"a {what} must be .toml or .json, not {suffix or 'without suffix'}")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise _unreadable(f"the {what} cannot be read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _unreadable(
            f"the {what} is not UTF-8 text (at byte {error.start:,}); save it as UTF-8"
        ) from None
    return _parse_settings(text, format=suffix[1:], what=what)


def load_policies(path: str | Path) -> Policies:
    """Read a ``.toml`` or ``.json`` policy file. See
    [`loads_policies()`][logicrm.policies.loads_policies].

    Raises:
        ValidationError: the file is missing, has another suffix, is not UTF-8, does not
            parse, or breaks a policy's rule (with the path of the field).
    """
    from logicrm.serialization import from_dict

    return from_dict(Policies, _read_settings(path, what="policy file"))


def dumps_policies(policies: Policies, *, format: str = "toml") -> str:
    """Write every value of ``policies`` as TOML (default) or JSON, ready to copy and edit."""
    from logicrm.serialization import to_dict

    data = to_dict(policies)
    if format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if format != "toml":
        fail("format", format, "must be 'toml' or 'json'")
    return _toml(data)


# A small TOML writer: tables, arrays of tables, and scalars and arrays of scalars.


def _toml(data: Mapping[str, Any]) -> str:
    lines: list[str] = []
    _table(data, [], lines)
    return "\n".join(lines).strip() + "\n"


def _table(data: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    plain = {
        k: v
        for k, v in data.items()
        if v is not None and not _is_table(v) and not _is_table_array(v)
    }  # TOML has no null: a field left out takes its default, and every None default is
    nested = any(_is_table(v) or _is_table_array(v) for v in data.values())
    if path and (plain or not nested):  # a table of nothing but nulls is an empty table
        lines.extend(["", f"[{'.'.join(_key(p) for p in path)}]"])
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in plain.items())
    for key, value in data.items():
        if _is_table(value):
            _table(value, [*path, key], lines)
        elif _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{'.'.join(_key(p) for p in [*path, key])}]]"])
                lines.extend(f"{_key(k)} = {_value(v)}" for k, v in item.items())


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            fail("policy", value, "must be finite to be written as TOML")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return fail("policy", value, "has no TOML form")
