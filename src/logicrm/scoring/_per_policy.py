"""A rule table made once per policy object: the object path assesses customer after
customer with one policy, and a table's words (percentages, grouped amounts) cost more to
format than the rule costs to apply."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

P = TypeVar("P")
R = TypeVar("R")


def per_policy(make: Callable[[P], R]) -> Callable[[P], R]:
    """``make(policy)``, remembered for the last policy object given. By identity, not
    equality: two equal policies may word an amount differently (``100.0`` and ``100.00``).
    One tuple holds the pair, so threads never see one policy's table for another."""
    last: list[Any] = [(None, None)]

    @functools.wraps(make)
    def table(policy: P) -> R:
        seen, made = last[0]
        if seen is policy:
            return made  # type: ignore[no-any-return]
        made = make(policy)
        last[0] = (policy, made)
        return made

    return table
