"""``logicrm score``: from files to one assessment row per customer.

Reading, summarising and assessing live here, apart from argument parsing, so the demo and
the tests run exactly what the command runs.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

import attrs

from logicrm._assess import AssessmentInputs, assess_all
from logicrm._readers._db import Source
from logicrm.domain import (
    Complaint,
    CreditProfile,
    Customer,
    CustomerKind,
    Interaction,
    Invoice,
    ServiceStandard,
    Shipment,
    SpendEstimate,
    SurveyResponse,
)
from logicrm.errors import ValidationError
from logicrm.io import ColumnMapping, RowRejection, _stream_db, stream
from logicrm.policies import Policies
from logicrm.retention import summarize_interactions
from logicrm.scoring import ageing, apply_ageing, summarize, value_score

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Inputs:
    """The files of one run; only ``shipments`` is required."""

    shipments: Path | None = None
    customers: Path | None = None
    credit_profiles: Path | None = None
    invoices: Path | None = None
    complaints: Path | None = None
    surveys: Path | None = None
    standards: Path | None = None
    interactions: Path | None = None
    spend_estimates: Path | None = None
    mappings: Mapping[str, ColumnMapping] = attrs.field(factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    value: str = "default"
    allow_weak_fit: bool = False
    engine: str = "auto"
    database: str | None = attrs.field(default=None, repr=False)  # may hold a password
    sources: Mapping[str, Source] = attrs.field(factory=dict)

    def mapping(self, kind: str) -> ColumnMapping | None:
        return self.mappings.get(kind)

    def has(self, kind: str) -> bool:
        """Whether the run reads ``kind``, from a file or the database."""
        return getattr(self, kind) is not None or kind in self.sources

    def where(self, kind: str) -> Path | str:
        """The file of ``kind``, or ``table NAME`` / ``query`` in the database."""
        path: Path | None = getattr(self, kind)
        if path is not None:
            return path
        source = self.sources[kind]
        return f"table {source.table}" if source.table is not None else f"{kind} query"


INPUT_KINDS = tuple(
    f.name
    for f in attrs.fields(Inputs)
    if f.name not in ("mappings", "encoding", "delimiter", "value", "engine", "database", "sources")
)
""" The input files a run reads, by kind (the sections of a mapping file)."""


def load_mappings(path: Path) -> dict[str, ColumnMapping]:
    """A column-mapping file: per input kind (``shipments``, ``customers``, ...), a
    [`ColumnMapping`][logicrm.io.ColumnMapping] (``columns``, ``constants``, ``true_values``,
    ``false_values``). TOML when the suffix is ``.toml``, else JSON.

    Raises:
        ValidationError: unparsable, an unknown kind, or a bad mapping (with its path).
    """
    from logicrm.errors import ValidationError
    from logicrm.policies import _read_settings
    from logicrm.serialization import from_dict

    data = _read_settings(path, what="mapping file")
    if not isinstance(data, dict):
        raise ValidationError("", "<mapping file>", "must map input kinds to column mappings")
    result = {}
    for kind, section in data.items():
        if kind not in INPUT_KINDS:
            raise ValidationError(kind, kind, f"is not an input kind; use one of {INPUT_KINDS}")
        try:
            result[kind] = from_dict(ColumnMapping, section)
        except ValidationError as error:
            raise error.within(kind) from None
    return result


@attrs.frozen
class FileRejection:
    """A rejected row and the file (or ``table NAME``) it came from."""

    file: Path | str
    rejection: RowRejection

    @property
    def place(self) -> str:
        """Where the row is: ``shipments.csv line 7``, or ``table orders key S7``."""
        if self.rejection.key is not None:
            return f"{self.file} key {self.rejection.key}"
        name = self.file.name if isinstance(self.file, Path) else self.file
        return f"{name} line {self.rejection.line}"


class Progress:
    """A progress bar on a text stream, redrawn at most ten times a second."""

    def __init__(self, stream: IO[str] | None, label: str, total: int | None) -> None:
        self.stream, self.label, self.total = stream, label, total
        self.done = 0
        self._drawn = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.stream is not None and time.monotonic() - self._drawn >= 0.1:
            self._draw()

    def finish(self) -> None:
        if self.stream is not None:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        assert self.stream is not None
        self._drawn = time.monotonic()
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * round(30 * share)
            text = f"{self.label} [{bar:<30}] {share:4.0%} {self.done:,}/{self.total:,}"
        else:
            text = f"{self.label} {self.done:,}"
        self.stream.write("\r" + text)
        self.stream.flush()


def count_rows(path: Path) -> int | None:
    """Rows in a file, cheaply: Parquet metadata, or newlines in a text file (less a CSV
    header). ``None`` if unknown."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # no pyarrow, or not Parquet: the reader will say which
            return None
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(0, lines - 1) if suffix == ".csv" else lines


def _records(
    inputs: Inputs,
    kind: str,
    cls: type[T],
    rejected: list[FileRejection],
    progress: Progress | None = None,
) -> Iterator[T]:
    where = inputs.where(kind)

    def keep(rejection: RowRejection) -> None:
        rejected.append(FileRejection(where, rejection))
        if progress is not None:
            progress.advance()

    if kind in inputs.sources:
        records: Iterator[T] = _stream_db(
            inputs.database,
            cls,
            inputs.sources[kind],
            mapping=inputs.mapping(kind),
            on_reject=keep,
            columnar=chosen_engine(inputs.engine) == "columnar",
        )
    else:
        records = stream(
            where,
            cls,
            mapping=inputs.mapping(kind),
            on_reject=keep,
            encoding=inputs.encoding,
            delimiter=inputs.delimiter,
        )
    for record in records:
        if progress is not None:
            progress.advance()
        yield record


def score(
    inputs: Inputs,
    *,
    as_of: datetime,
    policies: Policies = Policies(),  # noqa: B008 - frozen
    progress: IO[str] | None = None,
    fits: list[str] | None = None,
    rows_only: bool = False,
    records: list[Customer] | None = None,
) -> tuple[Any, list[FileRejection]]:
    """Read every file, summarise the shipments and assess every customer.

    Customers come from the customers file, plus any customer id seen only in shipments
    (assessed as an enterprise named by its id, so no shipment goes unscored). With
    ``inputs.value == "clv"`` the lifetime-value models' fits are described in ``fits``.

    ``rows_only`` says only the rows are wanted (a file output, not the terminal table): the
    columnar engine then assesses from its per-customer table (``AssessedRows``), when the
    run needs no more than the default calculators; the rows are the same. ``records``, when
    given, receives the customers assessed (their owners and regions, for the worklist).
    """
    rejected: list[FileRejection] = []
    started = time.monotonic()

    def phase(text: str) -> None:
        if progress is not None:
            progress.write(f"{text} [{time.monotonic() - started:.1f} s]\n")
            progress.flush()

    def read(kind: str, cls: type[T]) -> list[T]:
        if not inputs.has(kind):
            return []
        records = list(_records(inputs, kind, cls, rejected))
        where = inputs.where(kind)
        name = where.name if isinstance(where, Path) else where
        phase(f"read {len(records):,} {kind.replace('_', ' ')} from {name}")
        return records

    customers = read("customers", Customer)
    engine = chosen_engine(inputs.engine)
    if engine == "columnar" and rows_only and _columnar_assessable(inputs):
        table = _columnar_table(inputs, as_of, rejected, progress, phase)
        if table is not False:
            return _assessed_rows(table, customers, as_of, policies, phase), rejected
    total = count_rows(inputs.shipments) if progress and inputs.shipments else None
    bar = Progress(progress, "shipments", total)
    activities = None
    if engine == "columnar":
        from logicrm.frames import EngineLimit

        try:
            activities = _columnar_activities(inputs, as_of, rejected, bar)
        except EngineLimit as limit:
            if inputs.engine == "columnar":
                raise ValidationError("--engine", "columnar", str(limit)) from None
            bar.finish()
            phase(
                f"the columnar engine cannot carry {limit.field} exactly: reading again, in Python"
            )
            bar = Progress(progress, "shipments", bar.total)
    if activities is None:
        shipments = _records(inputs, "shipments", Shipment, rejected, bar)
        activities = summarize(shipments, as_of=as_of)
    bar.finish()
    phase(f"summarised the shipments of {len(activities):,} customers ({engine} engine)")
    known = {c.id for c in customers}
    customers.extend(
        Customer(id=cid, name=cid, kind=CustomerKind.ENTERPRISE)
        for cid in sorted(activities)
        if cid not in known
    )
    if records is not None:
        records.extend(customers)
    profiles = {p.customer_id: p for p in read("credit_profiles", CreditProfile)}
    if inputs.has("invoices"):
        currency = policies.credit.max_limit.currency
        reports = ageing(read("invoices", Invoice), as_of=as_of, currency=currency)
        profiles = {
            key: apply_ageing(p, reports[key]) if key in reports else p
            for key, p in profiles.items()
        }
    complaints = read("complaints", Complaint) if inputs.has("complaints") else None
    surveys = read("surveys", SurveyResponse) if inputs.has("surveys") else None
    standards = read("standards", ServiceStandard) if inputs.has("standards") else None
    contacts = None
    if inputs.has("interactions"):  # folded as read: a contact log may be long
        contacts = summarize_interactions(
            _records(inputs, "interactions", Interaction, rejected), as_of=as_of
        )
        counted = sum(c.contacts + c.ignored_after_as_of for c in contacts.values())
        phase(f"read {counted:,} interactions from {_name(inputs.where('interactions'))}")
    estimates = read("spend_estimates", SpendEstimate) if inputs.has("spend_estimates") else None
    value_calculator: Any = partial(value_score, model=policies.value)
    if inputs.value == "clv":
        phase("fitting BG/NBD and Gamma-Gamma for lifetime value")
        value_calculator = lifetime_value(
            activities, as_of=as_of, model=policies.value, allow_weak_fit=inputs.allow_weak_fit
        )
        if fits is not None:
            fits.extend(_described(m) for m in (value_calculator.purchases, value_calculator.spend))
            support = value_calculator.support()
            if not support.supported:  # allowed, or lifetime_value would have refused it
                fits.extend(
                    f"WARNING, weak fit used because of --allow-weak-fit: {r.message}"
                    for r in support.reasons
                )
    phase(f"assessing {len(customers):,} customers")
    results = assess_all(
        customers,
        activities,
        as_of=as_of,
        policies=policies,
        inputs=AssessmentInputs(
            credit_profiles=profiles,
            complaints=complaints,
            survey_responses=surveys,
            service_standards=standards,
            contacts=contacts,
            spend_estimates=estimates,
        ),
        value_calculator=value_calculator,
    )
    phase(f"assessed {len(results):,} customers")
    return results, rejected


ENGINES = ("auto", "columnar", "python")
""" ``--engine``: ``columnar`` reads the shipments with polars (the frames extra), ``python``
with the pure-Python readers; ``auto`` is columnar when polars is installed. Both give the
same output and the same rejected rows."""


def chosen_engine(engine: str) -> str:
    """The engine a run uses for ``engine`` (one of [`ENGINES`][logicrm.cli._run.ENGINES]).

    Raises:
        ValidationError: ``columnar`` was asked for without the frames extra.
    """
    if engine == "python":
        return "python"
    try:
        import polars  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        if engine == "columnar":
            raise ValidationError(
                "--engine", "columnar", "needs the frames extra: pip install 'logicrm[frames]'"
            ) from None
        return "python"
    return "columnar"


def _columnar_activities(
    inputs: Inputs,
    as_of: datetime,
    rejected: list[FileRejection],
    bar: Progress,
    *,
    as_table: bool = False,
    also_at: datetime | None = None,
) -> Any:
    from logicrm._engine._columnar import summarize_db, summarize_file

    where = inputs.where("shipments")
    found: list[FileRejection] = []

    def keep(rejection: RowRejection) -> None:
        found.append(FileRejection(where, rejection))

    if "shipments" in inputs.sources:
        activities = summarize_db(
            inputs.database,
            inputs.sources["shipments"],
            as_of=as_of,
            mapping=inputs.mapping("shipments"),
            on_reject=keep,
            on_rows=bar.advance,
            as_table=as_table,
            also_at=also_at,
        )
    else:
        assert isinstance(where, Path)
        activities = summarize_file(
            where,
            as_of=as_of,
            mapping=inputs.mapping("shipments"),
            encoding=inputs.encoding,
            delimiter=inputs.delimiter,
            on_reject=keep,
            on_rows=bar.advance,
            as_table=as_table,
            also_at=also_at,
        )
    rejected.extend(found)  # only once the run is whole: a restart in Python finds them again
    return activities


@attrs.frozen
class AssessedRows:
    """The assessment rows of a run, made as they are read (``rows()``), and their count."""

    count: int
    make: Any = attrs.field(repr=False)
    frame: Any = attrs.field(default=None, repr=False)
    """The rows as one polars frame (money as exact text), when the columnar assessment's
    expressions made them; ``None`` when the tuple kernel makes them one by one."""

    def rows(self) -> Iterator[Any]:
        return self.make()  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return self.count


_OBJECT_INPUTS = (
    "credit_profiles",
    "invoices",
    "complaints",
    "surveys",
    "standards",
    "interactions",
    "spend_estimates",
)


def _columnar_assessable(inputs: Inputs) -> bool:
    """Whether the columnar assessment covers the run: the default value model and none of
    the inputs only the object path assesses."""
    return inputs.value == "default" and not any(inputs.has(k) for k in _OBJECT_INPUTS)


def _columnar_table(
    inputs: Inputs,
    as_of: datetime,
    rejected: list[FileRejection],
    progress: IO[str] | None,
    phase: Any,
) -> Any:
    """The per-customer table of the shipments (``None`` for none), or ``False`` when a
    value is beyond the columnar engine (the caller then reads again in Python)."""
    from logicrm.frames import EngineLimit

    total = count_rows(inputs.shipments) if progress and inputs.shipments else None
    bar = Progress(progress, "shipments", total)
    try:
        table = _columnar_activities(inputs, as_of, rejected, bar, as_table=True)
    except EngineLimit as limit:
        if inputs.engine == "columnar":
            raise ValidationError("--engine", "columnar", str(limit)) from None
        bar.finish()
        phase(f"the columnar engine cannot carry {limit.field} exactly: reading again, in Python")
        return False
    bar.finish()
    customers = 0 if table is None else table.height
    phase(f"summarised the shipments of {customers:,} customers (columnar engine)")
    return table


def _assessed_rows(
    table: Any, customers: list[Customer], as_of: datetime, policies: Policies, phase: Any
) -> AssessedRows:
    from logicrm._engine._assess_columns import Enterprise, assessment_rows
    from logicrm._engine._assess_exprs import assessment_frame, customers_frame, frame_rows

    people = customers_frame(customers, table)
    phase(f"assessing {people.height:,} customers (columnar expressions)")
    frame = assessment_frame(table, people, as_of=as_of, policies=policies)  # raises now
    if frame is not None:
        return AssessedRows(frame.height, partial(frame_rows, frame), frame)
    known = {c.id for c in customers}
    everyone: list[Any] = list(customers)
    if table is not None:
        ids = table["customer_id"].to_list()
        everyone.extend(Enterprise(cid) for cid in sorted(ids) if cid not in known)
    phase(f"assessing {len(everyone):,} customers (columnar, as the rows are written)")
    first = [assessment_rows(table, everyone, as_of=as_of, policies=policies)]  # raises now

    def rows() -> Iterator[Any]:  # the prepared rows once, then made afresh for a 2nd output
        return (
            first.pop()
            if first
            else assessment_rows(table, everyone, as_of=as_of, policies=policies)
        )

    return AssessedRows(len(everyone), rows)


def lifetime_value(
    activities: Mapping[str, Any], *, as_of: datetime, model: Any, allow_weak_fit: bool = False
) -> Any:
    """``--value clv``: BG/NBD and Gamma-Gamma fitted on the run's own customers (in weeks),
    as a [`ClvValue`][logicrm.models.ClvValue] calculator whose ``reasons`` hold both fits.

    A fit that cannot support the scores ([`ClvValue.support()`][logicrm.models.ClvValue]:
    too few customers or repeat buyers, a standard error above its estimate) is refused
    unless ``allow_weak_fit``: on 12 customers a 617 CNY customer can outscore a 217,000 CNY
    one.

    Raises:
        ValidationError: the models extra is missing, or the data cannot carry a fit (no
            repeat customers); FitError: a fit did not converge; UsageError: the fit is weak
            and ``allow_weak_fit`` is false.
    """
    from logicrm.errors import ValidationError
    from logicrm.scoring import btyd_summary

    try:
        from logicrm.models import BetaGeoModel, ClvValue, GammaGammaModel
    except ImportError:
        raise ValidationError(
            "--value", "clv", "needs the models extra: pip install 'logicrm[models]'"
        ) from None
    summaries = [btyd_summary(a, as_of=as_of) for a in activities.values() if a.orders]
    if not summaries:
        raise ValidationError("--value", "clv", "needs customers with orders to fit the models")
    purchases = BetaGeoModel.fit(summaries)
    spend = GammaGammaModel.fit(summaries)
    calculator = ClvValue(purchases=purchases, spend=spend, model=model)
    support = calculator.support()
    if not support.supported and not allow_weak_fit:
        from logicrm.cli._common import UsageError

        raise UsageError(
            "--value clv: the lifetime-value fit cannot support scores:\n"
            + "".join(f"  - {r.message}\n" for r in support.reasons)
            + "Score with the default value model (leave out --value clv), or give more "
            "history (more customers, more of them with repeat orders); --allow-weak-fit "
            "uses the fit anyway, with a warning."
        )
    return calculator


def _described(model: Any) -> str:
    figures = ", ".join(
        f"{name} {value:.4g} (± {model.standard_errors.get(name, float('nan')):.2g})"
        for name, value in model.params.items()
    )
    name = "BG/NBD" if type(model).__name__ == "BetaGeoModel" else "Gamma-Gamma"
    return f"{name} fitted on {model.customers:,} customers: {figures}"


def no_results_reason(inputs: Inputs, rejected: list[FileRejection]) -> str:
    """Why a run assessed no customer, in words that say what to do."""
    where = inputs.where("shipments")
    name = _name(where)
    lost = sum(1 for r in rejected if r.file == where)
    if lost:
        return (
            f"no customer to assess: all {lost} rows of {name} were rejected (see the rejects "
            "file); fix them, or map your column names with --mapping"
        )
    return f"no customer to assess: {name} has no shipment rows" + (
        ""
        if not inputs.has("customers")
        else f" and {_name(inputs.where('customers'))} no customers"
    )


def _name(where: Path | str) -> str:
    return where.name if isinstance(where, Path) else where


def write_rejects(path: Path, rejected: list[FileRejection]) -> None:
    """The rejects file: one line per rejected row with file, line, problems and the row
    as read, so nothing is lost and the row can be fixed and fed again. ``.csv`` writes a
    table (the row as a JSON column, spreadsheet-safe); anything else JSON Lines. The file
    is created (or replaced) readable by its owner only: rows may hold contact details."""
    from logicrm._safety import spreadsheet_cell
    from logicrm.io import _private_file

    records = [
        {
            "file": str(r.file),
            "line": r.rejection.line,
            **({"key": r.rejection.key} if r.rejection.key is not None else {}),
            "column": r.rejection.column,
            "reason": r.rejection.reason,
            "problems": [list(p) for p in r.rejection.problems],
            "row": dict(r.rejection.row),
        }
        for r in rejected
    ]
    with _private_file(path) as handle:
        if path.suffix.lower() == ".csv":
            writer = csv.DictWriter(handle, fieldnames=["file", "line", "column", "reason", "row"])
            writer.writeheader()
            for record in records:
                cells = {k: record[k] for k in ("file", "line", "column", "reason")}
                cells["row"] = json.dumps(record["row"], ensure_ascii=False, default=str)
                writer.writerow({k: spreadsheet_cell(v) for k, v in cells.items()})
            return
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
