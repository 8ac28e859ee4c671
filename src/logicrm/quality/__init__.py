"""Service quality: service measures, SERVQUAL, the five gaps and complaint SLAs."""

from logicrm.quality._complaints import (
    BACKLOG_AGES,
    ComplaintPolicy,
    ComplaintSla,
    ComplaintSlaReport,
    ComplaintTimes,
    SlaStatus,
    complaint_sla,
)
from logicrm.quality._gaps import FiveGapsReport, Gap, MeasureGaps, WorstGap, five_gaps
from logicrm.quality._kpis import ServiceKpis, service_kpis, service_kpis_by_month
from logicrm.quality._servqual import ServqualResult, servqual

__all__ = [
    "BACKLOG_AGES",
    "ComplaintPolicy",
    "ComplaintSla",
    "ComplaintSlaReport",
    "ComplaintTimes",
    "FiveGapsReport",
    "Gap",
    "MeasureGaps",
    "ServiceKpis",
    "ServqualResult",
    "SlaStatus",
    "WorstGap",
    "complaint_sla",
    "five_gaps",
    "service_kpis",
    "service_kpis_by_month",
    "servqual",
]
