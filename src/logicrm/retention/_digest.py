"""What changed since the last run: the morning digest an account manager reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import attrs

from logicrm.domain._reason import plural
from logicrm.retention._contact_items import WHAT
from logicrm.retention._contact_policy import ContactTask
from logicrm.retention._worklist import WorkItem, Worklist


class ChangeKind(StrEnum):
    """How an item moved between two runs of the worklist."""

    NEW = "new"
    ESCALATED = "escalated"
    DONE = "done"
    DROPPED = "dropped"


@attrs.frozen(kw_only=True)
class ItemChange:
    """One line of the digest.

    Attributes:
        change: [`ChangeKind`][logicrm.retention.ChangeKind]: new, escalated, done or dropped.
        id: the item's stable id.
        customer_id: its customer.
        task: its kind, as the [`ContactTask`][logicrm.retention.ContactTask] value.
        owner: its owner, ``None`` if unowned.
        reason: why, in words (``"became overdue"``, ``"done 2026-06-30: called back"``,
            ``"the follow-up visit was logged; the next is due 2026-09-28"``).
    """

    change: ChangeKind
    id: str
    customer_id: str
    task: str
    owner: str | None
    reason: str

    def _repr_html_(self) -> str:
        """The notebook view: fields as HTML."""
        from logicrm._html import render

        return render(self)

    def row(self) -> dict[str, Any]:
        """The change as one flat row of plain values."""
        return {
            "change": self.change.value,
            "id": self.id,
            "customer_id": self.customer_id,
            "task": self.task,
            "owner": self.owner,
            "reason": self.reason,
        }


_MISSED = "missed-"  # the breach report's record of a missed deadline of a task still open


class Digest(tuple[ItemChange, ...]):
    """What [`worklist_changes()`][logicrm.retention.worklist_changes] returns: every
    change, new items first, then escalated, done and dropped, each group in the current (or
    previous) rank order."""

    def of(self, change: ChangeKind | str) -> tuple[ItemChange, ...]:
        """The changes of one kind."""
        wanted = ChangeKind(change)
        return tuple(c for c in self if c.change is wanted)

    def counts(self) -> dict[str, int]:
        """How many items are new, escalated, done and dropped."""
        return {kind.value: len(self.of(kind)) for kind in ChangeKind}

    def text(self) -> str:
        """The digest for a terminal: the counts, then one line per change."""
        counts = self.counts()
        head = (
            "since the last run: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + "\n"
        )
        lines = [
            f"  {c.change.value:<9} {c.customer_id}  {c.task}  [{c.owner or 'unowned'}]  "
            f"{c.reason}  ({c.id})"
            for c in self
        ]
        return head + "".join(line + "\n" for line in lines)


def _field(row: Any, name: str) -> Any:
    return getattr(row, name) if isinstance(row, WorkItem) else row.get(name)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _task(value: Any) -> str:
    return str(getattr(value, "value", value))


def worklist_changes(
    previous: Iterable[WorkItem] | Iterable[Mapping[str, Any]],
    current: Worklist,
    *,
    moved_up: int = 10,
) -> Digest:
    """The morning digest: what is new, escalated, done and dropped since the previous run.

    ``previous`` is the last run's feed: its ``Worklist``, its work items, or its rows as
    read back from the file or table ``logicrm worklist`` wrote (``id``, ``customer_id``,
    ``task``, ``status``, ``rank``, ``breach``, ``deferred`` and ``owner`` are used). Items
    are matched on their stable ids over today's list, the breach report and the deferred
    items.

    - **new**: an id on the current feed and not the previous one.
    - **escalated**: on both, and it became overdue, moved into the breach report, came back
      from the deferred items onto a list, or moved up ``moved_up`` ranks (10) or more.
    - **done**: on the previous feed only, because the task-state log says done, or the work
      was logged (the same customer has the next item of the same kind and complaint).
    - **dropped**: on the previous feed only, for any other reason: snoozed, dismissed, no
      longer planned. Each says which.

    So the counts are the set differences: new = current - previous, done + dropped =
    previous - current.

    Examples:
        >>> from logicrm import assess_all, summarize, worklist
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> results = assess_all(data.customers, summarize(data.shipments, as_of=data.as_of),
        ...                      as_of=data.as_of, inputs=data.inputs())
        >>> work = worklist(results)
        >>> worklist_changes(work, work).counts()
        {'new': 0, 'escalated': 0, 'done': 0, 'dropped': 0}
    """
    if isinstance(previous, Worklist):
        previous = previous.everything()
    before = {str(_field(row, "id")): row for row in previous}
    now = {item.id: item for item in current.everything()}
    kinds = {(i.customer_id, i.task.value, i.complaint_id or ""): i for i in now.values()}
    digest: list[ItemChange] = []

    def line(change: ChangeKind, ident: str, row: Any, reason: str) -> ItemChange:
        return ItemChange(
            change=change,
            id=ident,
            customer_id=str(_field(row, "customer_id")),
            task=_task(_field(row, "task")),
            owner=_field(row, "owner") or None,
            reason=reason,
        )

    for ident, item in now.items():
        if ident not in before:
            base = ident.removeprefix(_MISSED)
            if base != ident and base in before:  # still open, and now a missed deadline too
                reason = f"{base}'s deadline is missed: in the breach report, still on the list"
                digest.append(line(ChangeKind.NEW, ident, item, reason))
                continue
            digest.append(line(ChangeKind.NEW, ident, item, item.reasons[0].message))
            continue
        why = _escalation(before[ident], item, moved_up)
        if why is not None:
            digest.append(line(ChangeKind.ESCALATED, ident, item, why))
    for ident, row in before.items():
        if ident in now:
            continue
        base = ident.removeprefix(_MISSED)
        closed = current.closed.get(ident)
        said = closed
        if closed is None and base != ident and base in current.closed:
            closed = current.closed[base]  # a missed deadline's record goes with its task
            said = f"the breach report's record of {base}, closed with it: {closed}"
        if closed is not None and said is not None:
            change = ChangeKind.DONE if closed.startswith("done") else ChangeKind.DROPPED
            digest.append(line(change, ident, row, said))
            continue
        task = _task(_field(row, "task"))
        successor = kinds.get((str(_field(row, "customer_id")), task,
                               _field(row, "complaint_id") or ""))  # fmt: skip
        if successor is not None:
            what = WHAT[ContactTask(task)] if task in ContactTask._value2member_map_ else task
            reason = f"the {what} was logged; the next is due {successor.due_at.date()}"
            digest.append(line(ChangeKind.DONE, ident, row, reason))
            continue
        digest.append(line(ChangeKind.DROPPED, ident, row, "no longer planned"))
    order = list(ChangeKind)
    digest.sort(key=lambda c: order.index(c.change))
    return Digest(digest)


def _escalation(row: Any, item: WorkItem, moved_up: int) -> str | None:
    status = _task(_field(row, "status"))
    if status != "overdue" and item.status.value == "overdue":
        return f"became overdue (due {item.due_at.date()})"
    if not _flag(_field(row, "breach")) and item.breach:
        return f"moved into the breach report: {plural(item.days_overdue, 'day')} overdue"
    was_deferred = bool(_field(row, "deferred"))
    if was_deferred and item.deferred is None and not item.breach:
        return "back on the list from the deferred items"
    rank = _field(row, "rank")
    try:
        earlier = int(rank)
    except (TypeError, ValueError):
        return None
    same_list = (
        not was_deferred and item.deferred is None and _flag(_field(row, "breach")) == (item.breach)
    )
    if same_list and earlier - item.rank >= moved_up:
        return f"moved up from rank {earlier} to {item.rank}"
    return None
