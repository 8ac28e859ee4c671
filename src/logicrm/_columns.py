"""Which column of a file a person probably meant: case, separators and common synonyms.

The readers name a missing or misspelt column together with the closest one the file has.
Exports spell names their own way (``Customer ID``, ``customer-id``) and use the usual
synonyms (a customer list's ``customer_id`` for the customer's ``id``, ``qty`` for
``units_ordered``), which string similarity alone misses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

# Field path -> names exports commonly give it (already normalised: lowercase, "_" between
# words). A record's own id has more, from its class name: see ``_id_synonyms``.
_SYNONYMS: dict[str, frozenset[str]] = {
    "customer_id": frozenset(
        {
            "customer",
            "customer_code",
            "customer_no",
            "cust_id",
            "client",
            "client_id",
            "shipper",
            "shipper_id",
            "shipper_code",
            "consignor",
        }
    ),
    "name": frozenset({"customer_name", "company", "company_name", "full_name"}),
    "kind": frozenset({"type", "customer_type", "customer_kind"}),
    "ordered_at": frozenset({"order_date", "order_time", "ordered", "order_at", "created_at"}),
    "promised_at": frozenset({"promise_date", "promise_time", "promised", "due_at", "due_date"}),
    "shipped_at": frozenset({"ship_date", "ship_time", "shipped", "dispatched_at"}),
    "delivered_at": frozenset({"delivery_date", "delivery_time", "delivered", "pod_time"}),
    "revenue.amount": frozenset({"revenue", "amount", "fee", "freight", "charge", "price"}),
    "cost.amount": frozenset({"cost", "our_cost", "carrier_cost"}),
    "units_ordered": frozenset({"qty", "quantity", "units", "pieces"}),
    "units_delivered": frozenset({"qty_delivered", "qty_received", "delivered_units"}),
    "units_damaged": frozenset({"qty_damaged", "damaged", "broken", "damaged_units"}),
    "opened_at": frozenset({"opened", "reported_at", "complaint_date", "created_at"}),
}
_SHIPMENT_IDS = frozenset({"order_id", "order_no", "waybill", "waybill_no", "tracking_no"})


def normalised(name: str) -> str:
    """``"Customer ID"``, ``"customer-id"`` and ``"customer_id"`` alike: ``"customer_id"``."""
    return re.sub(r"[\s\-./]+", "_", name.strip().lower()).strip("_")


def _snake(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def _id_synonyms(record: str) -> frozenset[str]:
    """A record's own ``id`` as exports name it: ``customer_id`` in a customer list."""
    own = _snake(record)
    names = {f"{own}_id", f"{own}_no", f"{own}_code", f"{own}_number", "code", "no", "number"}
    return frozenset(names | (_SHIPMENT_IDS if record == "Shipment" else set()))


def synonyms(path: str, *, record: str) -> frozenset[str]:
    """The normalised names that commonly stand for field ``path`` of class ``record``."""
    if path == "id":
        return _id_synonyms(record)
    return _SYNONYMS.get(path, frozenset())


def closest(
    wanted: str,
    candidates: Iterable[str],
    *,
    path: str | None = None,
    record: str = "",
    cutoff: float = 0.6,
) -> str | None:
    """The candidate a person most likely meant by ``wanted``, or ``None``.

    In order: the same name but for case and separators; a common synonym of the field
    ``path`` (when the column carries the field's own name); the most similar name, compared
    in lowercase, at ``cutoff`` or above.
    """
    by_form: dict[str, str] = {}
    for candidate in candidates:
        by_form.setdefault(normalised(candidate), candidate)
    form = normalised(wanted)
    if form in by_form:
        return by_form[form]
    if path is not None and normalised(path) == form:
        known = synonyms(path, record=record)
        for candidate_form, candidate in by_form.items():  # the file's order
            if candidate_form in known:
                return candidate
    close = difflib.get_close_matches(form, list(by_form), n=1, cutoff=cutoff)
    return by_form[close[0]] if close else None
