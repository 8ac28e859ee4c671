"""The tutorial's code runs as written, on the files shipped with the docs."""

import re
from contextlib import nullcontext
from pathlib import Path

import pytest

from logicrm.errors import ColumnWarning

ROOT = Path(__file__).parent.parent


def tms_columns_absent():
    """The tutorial's files lack optional columns, and the page says the reader warns."""
    return pytest.warns(ColumnWarning, match="no column for '(shipped_at|industry)'")


def test_the_tms_tutorial_runs_and_reports_the_two_bad_rows(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "tutorial-tms-export.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict[str, object] = {}
    with tms_columns_absent():
        for block in blocks:
            exec(compile(block, "tutorial", "exec"), namespace)
    out = capsys.readouterr().out
    assert "58 shipments read" in out
    assert "line 9, column 'qty_damaged'" in out
    assert "line 14, column 'order_time'" in out
    summary = namespace["summary"]
    assert summary.rejected.height == 2
    assert namespace["table"].height == len(namespace["activities"])


def run_page(name: str) -> dict[str, object]:
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    namespace: dict[str, object] = {}
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        exec(compile(block, name, "exec"), namespace)
    return namespace


def test_the_notebook_tutorial_draws_every_chart_it_shows(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace = run_page("tutorial-notebook.md")
    assert "1500 shipments, 0 rejected" in capsys.readouterr().out
    text = (ROOT / "docs" / "tutorial-notebook.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^]]*\]\((images/[^)]+)\)", text)
    assert len(shown) == 5
    for image in shown:
        drawn = (tmp_path / image).read_bytes()
        assert drawn.startswith(b"\x89PNG")
        assert (ROOT / "docs" / image).is_file()  # the copy the site shows
    assert len(namespace["frame"]) == 12
    worst = namespace["gaps"].worst  # as the page says: on time, 6.3 points short of the promise
    assert (worst.gap.value, worst.where, round(worst.points, 1)) == (
        "communication",
        "on_time_rate",
        -6.3,
    )


def test_the_embedding_tutorial_answers_and_names_bad_fields(capsys):
    run_page("tutorial-embedding.md")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "medium approve True"
    limit = out[1].split(" | ")[0]  # one limit in the whole answer
    assert f"within the limit {float(limit):,.2f}" in out[1]
    assert out[2].startswith("units_damaged: must not exceed units_delivered")
    named = ["as_of:", "as_of:", "order_amount.amount:", "order_amount.currency:", "customer.id:"]
    assert [line.split(" ")[0] for line in out[3:8]] == named  # every bad input names its field


def test_the_calculator_tutorial_registers_and_uses_all_three_kinds(capsys):
    from logicrm import calculators

    try:
        run_page("tutorial-calculators.md")
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "['acme.margin', 'logicrm.value']"
        assert out[1].startswith("gross margin ")
        assert out[2] == "review acme.dispute"
        assert out[3] == "['on_time_rate']"
    finally:
        for name in ("acme.margin", "acme.credit", "acme.gaps"):
            if name in calculators.available():
                calculators.unregister(name)


def flatten(value, path=""):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value


def test_the_policy_page_lists_every_default_with_its_value_and_source():
    import json

    from logicrm.policies import Policies, dumps_policies

    defaults = dict(flatten(json.loads(dumps_policies(Policies(), format="json"))))
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|[^|]*\|([^|]*)\|$", text, re.M)
    listed = {key: json.loads(value) for key, value, _ in rows}
    assert listed == defaults
    assert all(source.strip() for key, _, source in rows if not key.endswith(".currency"))


SOURCE = ROOT / "src" / "logicrm"


def source_lines(matches):
    """Every ``path:line`` of the package's source whose text ``matches``."""
    return [
        f"{path.relative_to(ROOT)}:{number}"
        for path in SOURCE.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if matches(line)
    ]


def test_docstrings_use_markdown_links_never_sphinx_roles():
    """mkdocstrings renders Markdown: a Sphinx role (:func:`x`) shows as literal text."""
    role = re.compile(r":(func|class|data|meth|attr|mod|exc|obj):`")
    assert not source_lines(
        lambda line: role.search(line) or (line.rstrip().endswith("::") and '"' not in line)
    )


def test_example_sections_are_the_ones_griffe_renders_as_code():
    """griffe knows "Examples:"; "Example:" becomes an admonition of quoted ">>>" lines."""
    assert not source_lines(lambda line: line.strip() == "Example:")


def test_the_reference_index_lists_every_public_name():
    import importlib.util

    import logicrm

    spec = importlib.util.spec_from_file_location("hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = (ROOT / "docs" / "reference" / "logicrm.md").read_text(encoding="utf-8")
    rendered = hooks.on_page_markdown(page)
    for name in logicrm.__all__:
        if name != "__version__":
            assert f"[`{name}`][" in rendered, name


def test_attribute_and_argument_entries_name_one_field_each():
    """griffe reads "a, b: text" as a name and a type: each entry names one field."""
    entry = re.compile(r"^\s{8}\w+(, \w+)+: ")
    assert not source_lines(lambda line: entry.match(line) and "self," not in line)


def test_the_notebook_tutorial_renders_html_and_charts_in_a_real_kernel(tmp_path):
    """The tutorial's blocks as notebook cells, executed by nbclient in an IPython kernel:
    the tables render as HTML and the charts as PNG, as the page says."""
    import nbformat
    from nbclient import NotebookClient

    text = (ROOT / "docs" / "tutorial-notebook.md").read_text(encoding="utf-8")
    cells = [
        nbformat.v4.new_code_cell(block) for block in re.findall(r"```python\n(.*?)```", text, re.S)
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    outputs = [o for cell in notebook.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = [set(o.get("data", {})) for o in outputs]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len([k for k in kinds if "image/png" in k]) >= 5  # every chart shows under its cell
    assert any("Assessments</strong> (12 customers)" in h for h in html)
    assert any("Assessment &middot; C00000" in h for h in html)
    assert any("<table" in h and "customer_id" in h for h in html)  # the DataFrame
    plain = [o["data"]["text/plain"] for o in outputs if "text/plain" in o.get("data", {})]
    assert "ReadResult(1,500 ok, 0 rejected)" in plain


def printed_and_shown(name, tmp_path, monkeypatch):
    """Run a page's Python blocks in order; pair what each printed with the ``text`` block
    the page shows right after it."""
    import contextlib
    import io

    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    pieces = re.split(r"(```python\n.*?```\n)", text, flags=re.S)
    namespace: dict[str, object] = {}
    pairs = []
    reads_repository = ("tutorial-tms-export.md", "tutorial-backtest.md")
    monkeypatch.chdir(ROOT if name in reads_repository else tmp_path)
    for index, piece in enumerate(pieces):
        if not piece.startswith("```python\n"):
            continue
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(piece[len("```python\n") : -4], name, "exec"), namespace)
        shown = re.match(r"\n```text\n(.*?)```\n", pieces[index + 1], re.S)
        pairs.append((buffer.getvalue().rstrip("\n"), shown.group(1).rstrip("\n") if shown else ""))
    return pairs


@pytest.mark.parametrize(
    "name",
    [
        "tutorial-tms-export.md",
        "tutorial-embedding.md",
        "tutorial-calculators.md",
        "tutorial-notebook.md",
        "retention/contacts.md",
        "retention/share-and-profit.md",
        "retention/next-action.md",
        "scoring/assess.md",
        "scenarios.md",
        "tutorial-backtest.md",
        "tutorial-team.md",
    ],
)
def test_every_tutorial_prints_what_its_page_shows(name, tmp_path, monkeypatch):
    with tms_columns_absent() if name == "tutorial-tms-export.md" else nullcontext():
        pairs = printed_and_shown(name, tmp_path, monkeypatch)
    assert any(printed for printed, _ in pairs), "the page prints nothing"
    for printed, shown in pairs:
        assert printed == shown


def test_the_scenarios_page_holds_at_least_twenty_situations_each_with_its_advice(
    tmp_path, monkeypatch
):
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert len(re.findall(r"^### \d+\. ", text, re.M)) >= 20
    pairs = printed_and_shown("scenarios.md", tmp_path, monkeypatch)
    assert sum(1 for printed, _ in pairs if printed) >= 20  # every scenario prints its advice


def test_the_monday_morning_tutorial_runs_as_written(tmp_path, monkeypatch):
    """Its shell blocks through bash (``logicrm`` is this interpreter's), each output
    against the block the page shows; then its Python blocks, on the files they wrote."""
    import subprocess
    import sys

    text = (ROOT / "docs" / "tutorial-monday-morning.md").read_text(encoding="utf-8")
    pieces = re.split(r"(```bash\n.*?```\n)", text, flags=re.S)
    define = f'logicrm() {{ "{sys.executable}" -m logicrm "$@"; }}\n'
    ran = 0
    for index, piece in enumerate(pieces):
        if not piece.startswith("```bash\n"):
            continue
        script = piece[len("```bash\n") : -4]
        done = subprocess.run(["bash", "-e", "-c", define + script], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        shown = re.match(r"\n```text\n(.*?)```\n", pieces[index + 1], re.S)
        assert shown is not None and done.stdout.rstrip("\n") == shown.group(1).rstrip("\n")
        ran += 1
    assert ran == 2
    pairs = printed_and_shown("tutorial-monday-morning.md", tmp_path, monkeypatch)
    assert len(pairs) == 3
    for printed, shown in pairs:
        assert printed == shown
    assert (tmp_path / "cost-to-serve.png").stat().st_size > 10_000


def test_ci_runs_the_readmes_two_commands_and_the_first_installs_the_core_only():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    first, second = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert ".venv/bin/pip install -e . &&" in first and "[" not in first  # no extra at all
    assert first.endswith(".venv/bin/logicrm demo")
    assert "'.[dev]'" in second and second.endswith(".venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace(" --quiet", "")
    for command in (*first.split(" && "), second):
        assert command in ci, command


def cited_files():
    """Every page of the docs and every module of the package, with its text."""
    for path in [*(ROOT / "docs").rglob("*.md"), *SOURCE.rglob("*.py")]:
        yield path.relative_to(ROOT), path.read_text(encoding="utf-8")


def test_nothing_cites_a_file_outside_the_repository():
    outside = re.compile(r"CONCEPTS|seeds? 00\d")
    assert [str(path) for path, text in cited_files() if outside.search(text)] == []


def test_every_link_to_the_sources_page_names_one_of_its_sections():
    page = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    headings = re.findall(r"^##+ (.+)$", page, re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.lower()).strip().replace(" ", "-") for h in headings}
    linked = {
        (str(path), anchor)
        for path, text in cited_files()
        for anchor in re.findall(r"sources\.md#([\w-]+)", text)
    }
    assert len(linked) > 20  # pages and sections
    assert {(path, a) for path, a in linked if a not in anchors} == set()


def test_no_complaint_time_is_credited_to_the_literature():
    """The literature gives no complaint deadline: its 24-hour hotline is opening hours."""
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(complaint\.times\.[^`]+)` \| `[^`]+` \|[^|]*\|([^|]*)\|$", text, re.M)
    assert len(rows) >= 12  # four severities, three times each
    for key, source in rows:
        assert "logicrm's choice" in source or not source.strip(), key
    sources = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    assert "**The literature gives no complaint deadline.**" in sources
