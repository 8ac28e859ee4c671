"""Speed and memory of summarize and the scoring pipeline on a million shipments.

Run: python benchmarks/bench_scoring.py [--shipments 1000000] [--customers 20000]

Targets (issue 3), measured in one run on seeded ``logicrm.sample`` data:
- ``summarize`` <= 1.5x a hand-written plain-Python loop computing the same figures (the floor);
- ``Activity.add`` <= 2.5 us median per shipment;
- the whole pipeline (summarize, then tier, rfm, abc_classes and value_score) <= 2x summarize;
- peak memory of ``summarize`` fed by a generator of 1,000,000 shipments < 250 MB;
- pandas ``groupby`` computing the same aggregates, as a reference (no target).

``--assess N`` times only ``assess_all`` over N customers with every input (issue 25's target:
<= 80 us per customer at 100k); ``--against SRC`` times another revision's ``src`` folder (from
``git archive REV src``) in the same run, interleaved, each round in a fresh process;
``--collector on`` leaves Python's cyclic garbage collector on, as an embedder's program does;
``--collector paused`` times the scale page's recipe (the program pauses it around the call).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from _harness import median_seconds, report
from _pandas_reference import pandas_aggregate, pandas_frame

import logicrm as lc
from logicrm.sample import SAMPLE_AS_OF, generate_customers, generate_shipments, sample_dataset
from logicrm.scoring import WINDOW_DAYS, Activity
from logicrm.scoring._activity import _EPOCH, _epoch_in

AS_OF = SAMPLE_AS_OF
_US = timedelta(microseconds=1)


def floor(shipments: list[lc.Shipment]) -> dict[str, list[Any]]:
    """The same per-customer figures as Activity, in one plain loop with no classes.

    It uses the same arithmetic as Activity (time as a timedelta since the epoch, taken in
    the shipment's own zone object; windows as timedelta cut-offs), so the ratio measures
    what the class, its method call and its bookkeeping cost, not a different algorithm.
    """
    as_of_t = AS_OF - _EPOCH
    cutoffs = [as_of_t - timedelta(days=d) for d in WINDOW_DAYS]
    state: dict[str, list[Any]] = {}
    for s in shipments:
        row = state.get(s.customer_id)
        if row is None:
            row = state[s.customer_id] = [
                0,
                Decimal(0),
                Decimal(0),
                set(),
                None,
                None,
                None,
                Decimal(0),
                [0] * 4,
                [Decimal(0)] * 4,
                [Decimal(0)] * 4,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            ]
        ordered = s.ordered_at
        t = ordered - _epoch_in(ordered)
        if t > as_of_t:
            continue
        revenue, cost = s.revenue.amount, s.cost.amount
        row[0] += 1
        row[1] += revenue
        row[2] += cost
        day = t.days
        row[3].add(day)
        if row[4] is None or t < row[4]:
            row[4] = t
        if row[5] is None or t > row[5]:
            row[5] = t
        if row[6] is None or day < row[6]:
            row[6], row[7] = day, revenue
        elif day == row[6]:
            row[7] += revenue
        for i in range(3, -1, -1):
            if t <= cutoffs[i]:
                break
            row[8][i] += 1
            row[9][i] += revenue
            row[10][i] += cost
        row[22] += s.invoice_error
        row[23] += s.stockout
        row[24] += s.substituted
        row[25] += s.rerouted
        row[26] += s.returned
        delivered = s.delivered_at
        if delivered is not None:
            on_time = delivered <= s.promised_at
            in_full = s.units_delivered >= s.units_ordered
            row[11] += 1
            row[12] += on_time
            row[13] += in_full
            row[14] += on_time and in_full
            row[15] += on_time and in_full and not s.units_damaged and not s.invoice_error
            row[16] += s.units_damaged > 0
            row[17] += s.units_ordered
            row[18] += s.units_delivered
            row[19] += s.units_damaged
            cycle = (delivered - _epoch_in(delivered) - t) // _US
            row[20] += cycle
            row[21] += cycle * cycle
    return state


def add_medians(shipments: list[lc.Shipment], chunk: int = 10_000) -> float:
    """Median over chunks of the mean time of one Activity.add call (activities exist)."""
    activities = {s.customer_id: Activity.empty(s.customer_id, as_of=AS_OF) for s in shipments}
    per_call = []
    gc.disable()  # as in the harness: the million live shipments would make GC dominate
    try:
        for start in range(0, len(shipments), chunk):
            part = shipments[start : start + chunk]
            targets = [activities[s.customer_id] for s in part]
            began = time.perf_counter()
            for activity, s in zip(targets, part, strict=True):
                activity.add(s)
            per_call.append((time.perf_counter() - began) / len(part))
    finally:
        gc.enable()
    return statistics.median(per_call)


def pipeline(shipments: list[lc.Shipment], customers: tuple[lc.Customer, ...]) -> None:
    activities = lc.summarize(shipments, as_of=AS_OF)
    for customer in customers:
        activity = activities.get(customer.id) or Activity.empty(customer.id, as_of=AS_OF)
        lc.tier(customer, activity, as_of=AS_OF)
        lc.value_score(customer, activity, as_of=AS_OF)
    lc.rfm(activities, as_of=AS_OF)
    lc.abc_classes({k: a.revenue_within(365) for k, a in activities.items()})


def pandas_reference(shipments: list[lc.Shipment]) -> tuple[float, float]:
    """Seconds to build the DataFrame, and to compute the same aggregates with groupby."""
    began = time.perf_counter()
    frame = pandas_frame(shipments)
    built = time.perf_counter() - began
    seconds = median_seconds({"pandas": lambda: pandas_aggregate(frame, AS_OF)}, rounds=3)
    return built, seconds["pandas"]


def peak_memory(shipments: int, customers: int) -> float:
    """Peak RSS (MB) of a fresh process running summarize over a generator."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork/exec.
    code = (
        "import logicrm as lc\n"
        "from logicrm.sample import SAMPLE_AS_OF, generate_shipments\n"
        f"acts = lc.summarize(generate_shipments({shipments}, customers={customers}),"
        " as_of=SAMPLE_AS_OF)\n"
        "assert len(acts) > 0\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(int(status) / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent,
    )
    return float(out.stdout.strip())


def assess_data(n: int) -> tuple[Any, list[lc.Customer], dict[str, Activity], Any]:
    """``n`` customers with every input: the built-in sample's 12 customers (their activities,
    complaints, credit profiles, surveys, contact log and spend estimates) copied under new
    ids, so each copy is assessed as the sample's customer is."""
    data = sample_dataset()
    base = lc.summarize(data.shipments, as_of=data.as_of)
    gathered = _Gathered()
    for copy in range(-(-n // len(data.customers))):
        gathered.add(data, base, copy)
    return gathered.taken(data, n)


class _Gathered:
    """Customers, activities and every other input of several samples, each sample's ids
    suffixed with a number of its own."""

    def __init__(self) -> None:
        self.customers: list[lc.Customer] = []
        self.activities: dict[str, Activity] = {}
        self.records: dict[str, list[Any]] = {name: [] for name in _ASSESS_INPUTS}

    def add(self, data: Any, base: dict[str, Activity], suffix: int) -> None:
        import attrs

        def new(old: str | None) -> str | None:
            return None if old is None else f"{old}-{suffix:05d}"

        self.customers += [attrs.evolve(c, id=new(c.id)) for c in data.customers]
        self.activities.update(
            {new(k): attrs.evolve(a, customer_id=new(k)) for k, a in base.items()}
        )
        for name, renamed in _ASSESS_INPUTS.items():
            self.records[name] += [
                attrs.evolve(r, **{f: new(getattr(r, f)) for f in renamed})
                for r in getattr(data, name)
            ]

    def taken(self, data: Any, n: int) -> tuple[Any, list[lc.Customer], dict[str, Activity], Any]:
        import attrs

        inputs = attrs.evolve(data.inputs(), **{k: tuple(v) for k, v in self.records.items()})
        return data.as_of, self.customers[:n], self.activities, inputs


_ASSESS_INPUTS = {  # each input's fields that name a customer or a record of one
    "complaints": ("id", "customer_id", "shipment_id"),
    "credit_profiles": ("customer_id",),
    "survey_responses": ("respondent_id", "customer_id"),
    "interactions": ("id", "customer_id", "complaint_id"),
    "spend_estimates": ("customer_id",),
}


def assess_once(n: int, collector: str = "off") -> tuple[float, float]:
    """Seconds for one ``assess_all`` over ``n`` customers with every input (set-up untimed):
    wall clock, and this process's CPU time (steadier when other work shares the machine).

    ``collector``: ``"off"`` as in the harness; ``"on"`` as an embedder's program runs it,
    with every input it built still alive; ``"paused"`` the scale page's recipe, the program
    pausing it around the call, timed up to the end of a full collection afterwards (the
    collections put off, counted generously: it walks the inputs too)."""
    as_of, customers, activities, inputs = assess_data(n)
    gc.collect()
    if collector != "on":
        gc.disable()
    try:
        began, cpu = time.perf_counter(), time.process_time()
        results = lc.assess_all(customers, activities, as_of=as_of, inputs=inputs)
        if collector == "paused":
            gc.enable()
            gc.collect()  # with the results still alive, as the program holds them
        del results  # freed inside the timing, in every mode, as before
        return time.perf_counter() - began, time.process_time() - cpu
    finally:
        gc.enable()


def object_floor(n: int) -> None:
    """What building ``assess_all``'s results costs with nothing left to work out, against
    ``assess_all`` on the same ``n`` varied customers.

    Each customer's results are rebuilt from values already computed (numbers, words, dates)
    by a function generated for that customer, its values held in local variables: once
    through the public constructors (which check their arguments again), once by filling each
    frozen object's slots directly (``object.__new__`` and ``object.__setattr__``, the way the
    library's trusted internal paths build some objects). An object the results hold twice (a
    reason quoted by a section and by the whole) is built once; one shared by several
    customers (a fixed reason, the report reused for "no complaints") is not rebuilt, as
    ``assess_all`` does not build it per customer either. Objects that are merely equal
    across customers are still built for each. Every builder is run ten times before the
    timed rounds, as ``assess_all``'s own code is warm after its first customers.

    Two more builders, one each way, also word each of the customer's own reasons again:
    every amount, rate and date in a message is written by one f-string from a value of its
    kind (``Decimal``, ``float``, ``date``), once per customer however often its results quote
    it, and a message that is the same string as another's is not worded twice; the rest of
    the message is literal text. Whole numbers stay literal (counts, many of which the library
    words from a memo, and digits inside ids), as does a figure that cannot be written back
    exactly that way; the report gives the share written. Every rebuilt result must equal the
    original, words included."""
    from collections import Counter
    from types import MappingProxyType

    import attrs

    as_of, customers, activities, inputs = varied_data(n)
    results = list(lc.assess_all(customers, activities, as_of=as_of, inputs=inputs).values())

    def children(value: Any) -> list[Any]:
        kind = type(value)
        if attrs.has(kind):
            return [getattr(value, field.name) for field in attrs.fields(kind)]
        if kind in (tuple, list):
            return list(value)
        if kind in (dict, MappingProxyType):
            return list(value.values())
        return []

    def objects(value: Any, seen: dict[int, Any]) -> dict[int, Any]:
        if id(value) not in seen and (attrs.has(type(value)) or children(value)):
            seen[id(value)] = value
            for child in children(value):
                objects(child, seen)
        return seen

    held_by = Counter(key for result in results for key in objects(result, {}))

    written = Counter[str]()

    def words(message: str, constant: Any, lines: list[str], quoted: dict[Any, str]) -> str:
        """An expression wording ``message`` again from its figures (see above). A figure's
        text the customer's results quote again is written once, and a message that is the
        same string as another's (a summary quoting a section's reason) is not worded again:
        ``quoted`` holds the local of each, by text and by the message's identity."""
        if id(message) in quoted:
            return quoted[id(message)]
        parts, last = [], 0
        for token in _FIGURE.finditer(message):
            text = token.group()
            value, spec = _figure(text)
            written["figures"] += 1
            if value is None or format(value, spec) != text:
                continue  # stays in the literal text around it
            written["written"] += 1
            if text not in quoted:
                quoted[text] = f"w{len(quoted)}"
                lines.append(f"    {quoted[text]} = f'{{{constant(value)}:{spec}}}'")
            parts += [repr(message[last : token.start()]), f"f'{{{quoted[text]}}}'"]
            last = token.end()
        local = quoted[id(message)] = f"m{len(quoted)}"
        lines.append(f"    {local} = {' '.join([*parts, repr(message[last:])])}")
        return local

    def builder(result: Any, direct: bool, worded: bool = False) -> Any:
        constants: list[Any] = []
        lines: list[str] = []
        names: dict[int, str] = {}
        quoted: dict[Any, str] = {}  # figures' texts and messages: their locals (see words)

        def constant(value: Any) -> str:
            constants.append(value)
            return f"_{len(constants) - 1}"

        def source(value: Any) -> str:
            if id(value) in names:
                return names[id(value)]
            kind = type(value)
            if held_by.get(id(value), 0) > 1 or not (attrs.has(kind) or children(value)):
                return constant(value)
            if attrs.has(kind):
                fields = [field for field in attrs.fields(kind) if direct or field.init]
                values = [words(value.message, constant, lines, quoted)
                          if worded and kind is lc.Reason and field.name == "message"
                          else source(getattr(value, field.name)) for field in fields]  # fmt: skip
                pairs = zip(fields, values, strict=True)
                if direct:
                    name = names[id(value)] = f"v{len(names)}"
                    lines.append(f"    {name} = new({constant(kind)})")
                    lines.extend(f"    put({name}, {constant(f.name)}, {v})" for f, v in pairs)
                    return name
                made = f"{constant(kind)}({', '.join(f'{f.alias}={v}' for f, v in pairs)})"
            elif kind is tuple:
                made = "(" + "".join(f"{source(v)}, " for v in value) + ")"
            elif kind is list:
                made = "[" + ", ".join(source(v) for v in value) + "]"
            else:
                items = ", ".join(f"{constant(k)}: {source(v)}" for k, v in value.items())
                made = f"{'' if kind is dict else constant(kind)}({{{items}}})"
            name = names[id(value)] = f"v{len(names)}"
            lines.append(f"    {name} = {made}")
            return name

        root = source(result)
        parameters = "".join(f"_{i}=C[{i}], " for i in range(len(constants)))
        code = (f"def build({parameters}new=object.__new__, put=object.__setattr__):\n"
                + "\n".join(lines) + f"\n    return {root}\n")  # fmt: skip
        scope: dict[str, Any] = {"C": constants}
        exec(code, scope)
        build = scope["build"]
        for _ in range(10):
            if build() != result:
                raise SystemExit(f"the rebuilt results of {result.customer_id} differ")
        return build

    public = [builder(result, direct=False) for result in results]
    direct = [builder(result, direct=True) for result in results]
    worded = [builder(result, direct=False, worded=True) for result in results]
    written.clear()  # counted once, for the builders below
    reworded = [builder(result, direct=True, worded=True) for result in results]
    medians = median_seconds(
        {
            "assess_all": lambda: lc.assess_all(customers, activities, as_of=as_of, inputs=inputs),
            "public constructors": lambda: [build() for build in public],
            "slots filled directly": lambda: [build() for build in direct],
            "public constructors, reasons worded": lambda: [build() for build in worded],
            "slots filled directly, reasons worded": lambda: [build() for build in reworded],
        },
        rounds=3,
    )
    whole = medians["assess_all"]
    report(
        f"building assess_all's results alone, {n:,} varied customers, every input",
        [(name, f"{seconds / n * 1e6:.0f} us/customer",
          "" if name == "assess_all" else f"{seconds / whole:.0%} of assess_all")
         for name, seconds in medians.items()],
    )  # fmt: skip
    print(
        f"  figures in the customers' own reasons: {written['figures'] / n:.1f} per customer, "
        f"{written['written'] / max(1, written['figures']):.0%} written by f-strings (amounts, "
        "rates and dates; whole numbers, such as counts and the digits of ids, stay as text)"
    )


# A figure in a reason's words: a date, or a number with its sign, thousands and percent.
_FIGURE = re.compile(r"\d{4}-\d{2}-\d{2}|[+-]?\d[\d,]*(?:\.\d+)?%?")


def _figure(text: str) -> tuple[Any, str]:
    """The value and format spec that write ``text`` back; ``None`` for a whole number or a
    date-like text that is not a date."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text), ""
        except ValueError:
            return None, ""
    sign = "+" if text[0] == "+" else ""
    digits = text.rstrip("%").replace(",", "")
    comma = "," if "," in text else ""
    places = len(digits.partition(".")[2])
    if text.endswith("%"):
        return float(digits) / 100, f"{sign}{comma}.{places}%"
    if places == 2:  # most are amounts (a few ratios are floats, formatted a little faster)
        return Decimal(digits), f"{sign}{comma}.2f"
    if places:
        return float(digits), f"{sign}{comma}.{places}f"
    return None, ""  # a whole number: left as text (counts, days, digits of ids and codes)


def varied_data(n: int) -> tuple[Any, list[lc.Customer], dict[str, Activity], Any]:
    """``n`` customers with every input, each seed of ``sample_dataset`` giving 12 different
    ones (ids suffixed with the seed), so the results vary as real customers' do."""
    gathered = _Gathered()
    seed = 0
    while len(gathered.customers) < n:
        data = sample_dataset(seed=seed)
        gathered.add(data, lc.summarize(data.shipments, as_of=data.as_of), seed)
        seed += 1
    return gathered.taken(data, n)


def dump_results(n: int, path: str) -> None:
    """Write every result of ``assess_all`` over ``n`` varied customers to ``path``: each
    customer's row, every reason (code, words, contribution) and the whole assessment's repr."""
    import json

    as_of, customers, activities, inputs = varied_data(n)
    results = lc.assess_all(customers, activities, as_of=as_of, inputs=inputs)
    with open(path, "w", encoding="utf-8") as out:
        for key, assessment in results.items():
            plan = assessment.contact_plan
            action = assessment.action
            reasons = [
                *assessment.reasons,
                *assessment.top_reasons(),
                *(() if plan is None else (i.reason for i in plan.items)),
                *(() if action is None or action.qualification is None
                  else action.qualification.reasons),
            ]  # fmt: skip
            line = {
                "id": key,
                "row": repr(assessment.row()),
                "reasons": [[r.code, r.message, repr(r.contribution)] for r in reasons],
                "repr": repr(assessment),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def same_results(n: int, against: str) -> None:
    """Compare this tree's results with another revision's ``src`` folder over ``n`` varied
    customers: rows, every reason's words and the whole assessment; exit 1 on a difference."""
    import json
    import tempfile

    folder = Path(tempfile.mkdtemp())
    files = {}
    for side, src in (("this tree", None), ("against", against)):
        env = dict(os.environ)
        if src is not None:
            env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
        files[side] = folder / f"{'new' if src is None else 'old'}.jsonl"
        subprocess.run(
            [sys.executable, __file__, "--dump-results", str(n), str(files[side])],
            env=env, check=True,
        )  # fmt: skip
    new = files["this tree"].read_text(encoding="utf-8").splitlines()
    old = files["against"].read_text(encoding="utf-8").splitlines()
    differ = [json.loads(a)["id"] for a, b in zip(new, old, strict=True) if a != b]
    reasons = sum(len(json.loads(line)["reasons"]) for line in new)
    print(f"{len(new):,} customers, {reasons:,} reasons compared against {against}: "
          f"{len(differ):,} differ {differ[:5]}")  # fmt: skip
    if differ or len(new) != n:
        sys.exit(1)


def assess_report(n: int, rounds: int, against: str | None, collector: str = "off") -> None:
    """``assess_all`` per customer, each round in a fresh process; with ``against`` (another
    revision's ``src`` folder) that revision is timed too, interleaved, in the same run. With
    ``collector`` ``"on"`` or ``"paused"``, see ``assess_once``."""
    sides = {"this tree": None} if against is None else {"this tree": None, "against": against}
    samples: dict[str, list[float]] = {side: [] for side in sides}
    cpu: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(rounds):
        for side, src in sides.items():
            env = dict(os.environ)
            if src is not None:
                env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
            out = subprocess.run(
                [sys.executable, __file__, "--assess-once", str(n),
                 "--collector", collector],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            wall, spent = out.stdout.strip().splitlines()[-1].split()
            samples[side].append(float(wall))
            cpu[side].append(float(spent))
    medians = {side: statistics.median(v) for side, v in samples.items()}
    cpus = {side: statistics.median(v) for side, v in cpu.items()}
    rows = [
        (side, f"{s:.2f} s ({s / n * 1e6:.0f} us/customer)",
         f"CPU {cpus[side]:.2f} s ({cpus[side] / n * 1e6:.0f} us); target <= 80 us/customer")
        for side, s in medians.items()
    ]  # fmt: skip
    if against is not None:
        ratio = medians["against"] / medians["this tree"]
        cpu_ratio = cpus["against"] / cpus["this tree"]
        rows.append(("against / this tree", f"{ratio:.2f}x",
                     f"CPU {cpu_ratio:.2f}x; against = {against}"))  # fmt: skip
    gc_state = f"collector {collector}"
    report(f"assess_all, {n:,} customers, every input, {gc_state} (median of {rounds} rounds)",
           rows)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--assess", type=int, metavar="N",
        help="only time assess_all over N customers with every input (issue 25: <= 80 us each)",
    )  # fmt: skip
    parser.add_argument(
        "--against", metavar="SRC",
        help="with --assess: also time another revision's src folder, interleaved, same run",
    )  # fmt: skip
    parser.add_argument(
        "--same-as", metavar="SRC",
        help="with --assess N: check this tree's results equal SRC's over N varied customers",
    )  # fmt: skip
    parser.add_argument(
        "--collector", choices=("off", "on", "paused"), default="off",
        help="with --assess: Python's cyclic garbage collector off (as the harness), on (as an "
        "embedder's program) or paused by the program around the call (the scale page's recipe)",
    )  # fmt: skip
    parser.add_argument(
        "--object-floor", type=int, metavar="N",
        help="time rebuilding assess_all's result objects of N customers from ready values "
        "(also with their reasons' amounts, rates and dates worded again)",
    )  # fmt: skip
    parser.add_argument("--assess-once", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dump-results", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump_results:
        dump_results(int(args.dump_results[0]), args.dump_results[1])
        return
    if args.object_floor:
        object_floor(args.object_floor)
        return
    if args.same_as:
        same_results(args.assess, args.same_as)
        return
    if args.assess_once:
        print(*assess_once(args.assess_once, args.collector))
        return
    if args.assess:
        assess_report(args.assess, args.rounds, args.against, args.collector)
        return

    memory = peak_memory(args.shipments, args.customers)  # first, while this process is small
    print(f"generating {args.shipments:,} shipments over {args.customers:,} customers ...")
    customers = generate_customers(args.customers)
    shipments = list(generate_shipments(args.shipments, customers=args.customers))
    activities = lc.summarize(shipments, as_of=AS_OF)
    revenue = sorted((a.revenue for a in activities.values()), reverse=True)
    top = sum(revenue[: len(revenue) // 5]) / sum(revenue)
    print(f"customers with orders: {len(activities):,}; top 20% hold {top:.1%} of revenue")

    # The floor must agree with summarize before it can be a floor.
    check = floor(shipments[:20_000])
    sample = lc.summarize(shipments[:20_000], as_of=AS_OF)
    for key, row in list(check.items())[:200]:
        a = sample[key]
        assert (row[0], row[1], len(row[3]), row[7], row[20]) == (
            a.orders,
            a.revenue,
            a.distinct_order_days,
            a.first_day_revenue,
            a.cycle_us_sum,
        ), key

    medians = median_seconds(
        {
            "floor": lambda: floor(shipments),
            "summarize": lambda: lc.summarize(shipments, as_of=AS_OF),
            "pipeline": lambda: pipeline(shipments, customers),
        },
        rounds=args.rounds,
    )
    add = add_medians(shipments)
    built, groupby = pandas_reference(shipments)
    n = args.shipments
    report(
        f"Scoring {n:,} shipments (median of {args.rounds} interleaved rounds)",
        [
            (
                "hand-written loop (floor)",
                f"{medians['floor']:.2f} s ({medians['floor'] / n * 1e6:.2f} us/shipment)",
                "",
            ),
            (
                "summarize",
                f"{medians['summarize']:.2f} s "
                f"({medians['summarize'] / medians['floor']:.2f}x floor)",
                "target <= 1.5x",
            ),
            ("Activity.add, median", f"{add * 1e6:.2f} us", "target <= 2.5 us"),
            (
                "pipeline",
                f"{medians['pipeline']:.2f} s "
                f"({medians['pipeline'] / medians['summarize']:.2f}x summarize)",
                "target <= 2x",
            ),
            ("summarize peak RSS (generator)", f"{memory:.0f} MB", "target < 250 MB"),
            (
                "pandas groupby (same figures)",
                f"{groupby:.2f} s ({medians['summarize'] / groupby:.1f}x faster than summarize)",
                f"reference; building the frame took {built:.1f} s",
            ),
        ],
    )


if __name__ == "__main__":
    main()
