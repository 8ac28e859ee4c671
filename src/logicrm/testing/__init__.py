"""Hypothesis strategies for logicrm's domain types, for your own property-based tests.

Installing logicrm registers these with Hypothesis (through its ``hypothesis`` entry point), so
``st.from_type(logicrm.Shipment)`` works without importing this module. Import it for the
strategies' parameters, e.g. ``shipments(customer_id="C1", currency="CNY")``, or for
[`customer_histories()`][logicrm.testing.customer_histories], a customer with consistent shipments,
complaints and credit.

Requires the ``hypothesis`` package.

Examples:
    >>> from hypothesis import given
    >>> from logicrm.testing import shipments
    >>> @given(shipments(currency="CNY"))
    ... def test_revenue_is_in_yuan(shipment):
    ...     assert shipment.revenue.currency == "CNY"
    >>> test_revenue_is_in_yuan()
"""

from logicrm.testing._strategies import (
    CustomerHistory,
    amounts,
    answers,
    aware_datetimes,
    complaints,
    contact_details,
    credit_profiles,
    customer_histories,
    customers,
    financial_statements,
    interactions,
    invoices,
    money,
    reasons,
    register_type_strategies,
    service_standards,
    shipments,
    spend_estimates,
    strategy_for,
    survey_responses,
    task_states,
)

__all__ = [
    "CustomerHistory",
    "amounts",
    "answers",
    "aware_datetimes",
    "complaints",
    "contact_details",
    "credit_profiles",
    "customer_histories",
    "customers",
    "financial_statements",
    "interactions",
    "invoices",
    "money",
    "reasons",
    "register_type_strategies",
    "service_standards",
    "shipments",
    "spend_estimates",
    "strategy_for",
    "survey_responses",
    "task_states",
]
