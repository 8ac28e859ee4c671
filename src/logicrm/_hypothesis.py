"""Hypothesis entry point: registers logicrm's strategies when Hypothesis is imported."""

from __future__ import annotations


def _setup() -> None:
    from logicrm.testing._strategies import register_type_strategies

    register_type_strategies()
