"""logicrm: customer relationship management for logistics.

Who are our customers and how do we tell them apart, may this customer have credit and how
much, and how good is our service in their eyes: answered from a company's own data, every
answer with its reasons.

The names below are the stable public API; each is also importable from its home subpackage
(``logicrm.domain``, ``logicrm.scoring``, ``logicrm.quality``).
"""

from typing import Any

from logicrm.domain import (
    AdministrativeLevel,
    Answer,
    Channel,
    Complaint,
    ComplaintStatus,
    ContactDetails,
    CreditProfile,
    Customer,
    CustomerKind,
    CustomerSize,
    DataSource,
    Dimension,
    FinancialStatement,
    Money,
    Reason,
    Severity,
    Shipment,
    SurveyResponse,
)


def __getattr__(name: str) -> Any:
    # __version__ comes from the installed metadata, read on first use: importlib.metadata
    # alone would cost about a third of the import time.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("logicrm")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module 'logicrm' has no attribute {name!r}")


__all__ = [
    "AdministrativeLevel",
    "Answer",
    "Channel",
    "Complaint",
    "ComplaintStatus",
    "ContactDetails",
    "CreditProfile",
    "Customer",
    "CustomerKind",
    "CustomerSize",
    "DataSource",
    "Dimension",
    "FinancialStatement",
    "Money",
    "Reason",
    "Severity",
    "Shipment",
    "SurveyResponse",
    "__version__",
]
