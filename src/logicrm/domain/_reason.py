"""Reason: one line of an explanation that travels with every score."""

from __future__ import annotations

import functools

import attrs


@attrs.frozen
class Reason:
    """Why a result came out as it did.

    Attributes:
        code: a stable, machine-readable identifier such as ``"tier.enterprise.annual_spend"``;
            systems may branch on it.
        message: a sentence for people; its wording may change between releases.
        contribution: how much this reason moved a score, in the score's own units, when that
            is meaningful; otherwise ``None``.

    Examples:
        >>> Reason("lifecycle.current", "last order 12 days ago").code
        'lifecycle.current'
    """

    code: str
    message: str
    contribution: float | None = None

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


# Remembered: rules word the same few thousand counts of days, orders and events for
# customer after customer, and a lookup costs less than the wording. Bounded; ``typed`` keeps
# 2 and 2.0 (worded differently) apart.
@functools.lru_cache(maxsize=4096, typed=True)
def plural(count: int, noun: str) -> str:
    """``"1 order"``, ``"3 orders"``, ``"2 service recoveries"``: counts in reason messages
    read as sentences."""
    if count == 1:
        return f"1 {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{count:,} {noun[:-1]}ies"
    return f"{count:,} {noun}s"
