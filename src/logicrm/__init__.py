"""logicrm: customer relationship management for logistics.

Who are our customers and how do we tell them apart, may this customer have credit and how
much, and how good is our service in their eyes: answered from a company's own data, every
answer with its reasons.

The names below are the stable public API; each is also importable from its home subpackage
(``logicrm.domain``, ``logicrm.scoring``, ``logicrm.quality``).
"""

from importlib.metadata import PackageNotFoundError, version

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

try:
    __version__ = version("logicrm")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

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
