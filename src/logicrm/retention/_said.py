"""Words the retention rules repeat for customer after customer, worded once."""

from __future__ import annotations

import functools

from logicrm.domain import _reason

plural = functools.lru_cache(maxsize=4096, typed=True)(_reason.plural)
"""``logicrm.domain._reason.plural``, remembered: a plan, an action and a margin
count days, hours and events in a few thousand values at most, and wording a count costs more
than looking it up. ``typed``, so ``2`` and ``2.0`` (worded differently) are kept apart."""
