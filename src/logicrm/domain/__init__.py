"""The domain model: customers, shipments, complaints, contacts, credit profiles, money and
surveys.

Every type is a frozen, slotted attrs class validated in its constructor; bad values raise
[`logicrm.errors.ValidationError`][logicrm.errors.ValidationError] naming the field and the value.
"""

from logicrm.domain._complaint import Channel, Complaint, ComplaintStatus, Severity
from logicrm.domain._credit import CreditProfile, FinancialStatement
from logicrm.domain._customer import (
    AdministrativeLevel,
    ContactDetails,
    Customer,
    CustomerKind,
    CustomerSize,
    DataSource,
)
from logicrm.domain._interaction import Direction, Interaction, Purpose
from logicrm.domain._invoice import Invoice
from logicrm.domain._money import Money
from logicrm.domain._reason import Reason
from logicrm.domain._service import ServiceMeasure, ServiceStandard, StandardKind
from logicrm.domain._shipment import Shipment
from logicrm.domain._survey import Answer, Dimension, SurveyResponse
from logicrm.domain._wallet import SpendEstimate

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
    "Direction",
    "FinancialStatement",
    "Interaction",
    "Invoice",
    "Money",
    "Purpose",
    "Reason",
    "ServiceMeasure",
    "ServiceStandard",
    "Severity",
    "Shipment",
    "SpendEstimate",
    "StandardKind",
    "SurveyResponse",
]
