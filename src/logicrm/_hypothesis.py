"""Hypothesis entry point: makes ``st.from_type`` know logicrm's types.

It runs while Hypothesis itself is being imported, so it registers resolvers only; the
strategies module (which imports Hypothesis) is loaded when a test first asks for a type.
"""

from __future__ import annotations

from typing import Any


def _resolve(cls: type) -> Any:
    from logicrm.testing._strategies import strategy_for

    return strategy_for(cls)


def _setup() -> None:
    import attrs
    from hypothesis import strategies as st

    from logicrm import domain

    for name in domain.__all__:
        cls = getattr(domain, name)
        if attrs.has(cls):
            st.register_type_strategy(cls, _resolve)
