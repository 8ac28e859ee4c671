"""Scoring: activity aggregates, value, tiers, classes, lifecycle and credit decisions."""

__all__: list[str] = []
