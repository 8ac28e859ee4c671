"""The public API: what is exported, from where, and what importing costs."""

import subprocess
import sys

import pytest

import logicrm
import logicrm.domain
import logicrm.quality
import logicrm.retention
import logicrm.scoring

SUBPACKAGES = [logicrm.domain, logicrm.scoring, logicrm.quality, logicrm.retention]
FACADE = [
    "Assessment",
    "AssessmentInputs",
    "AssessmentRow",
    "Assessments",
    "assess",
    "assess_all",
    # backtests judge the facade's advice, so they sit beside it
    "Backtest",
    "BacktestComparison",
    "BacktestOutcome",
    "BacktestPolicy",
    "ClassCheck",
    "ClassRevenue",
    "CreditCheck",
    "CustomerDifference",
    "FlagCheck",
    "backtest",
    "backtest_activities",
    "compare_backtests",
]
CONTRACT_DOMAIN = [
    "Money",
    "CustomerKind",
    "Customer",
    "Shipment",
    "Complaint",
    "Channel",
    "Severity",
    "ComplaintStatus",
    "FinancialStatement",
    "CreditProfile",
    "Dimension",
    "Answer",
    "SurveyResponse",
]


def test_all_has_no_duplicates_and_only_real_names():
    # (ruff's RUF022 keeps each __all__ sorted)
    for module in [logicrm, *SUBPACKAGES]:
        assert len(module.__all__) == len(set(module.__all__)), module.__name__
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_top_level_loads_subpackages_lazily_and_dir_lists_every_name():
    code = (
        "import sys, logicrm\n"
        "loaded = [m for m in ('logicrm.domain', 'logicrm.scoring') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert set(logicrm.__all__) <= set(dir(logicrm))\n"
        "logicrm.Shipment\n"
        "assert 'logicrm.domain' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


PUBLIC_SUBMODULES = ["calculators", "cli", "dask", "domain", "errors", "frames", "io", "models",
                     "plot", "policies", "quality", "retention", "sample", "scoring",
                     "serialization", "testing"]  # fmt: skip


@pytest.mark.parametrize("name", PUBLIC_SUBMODULES)
def test_every_public_submodule_resolves_on_first_use_and_stays_lazy(name):
    code = (
        "import sys, logicrm\n"
        f"assert 'logicrm.{name}' not in sys.modules\n"
        f"module = logicrm.{name}\n"
        f"assert module is sys.modules['logicrm.{name}'] and module.__all__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dir_shows_the_public_surface_only():
    import logicrm

    listed = dir(logicrm)
    assert set(listed) == {*logicrm.__all__, *PUBLIC_SUBMODULES}
    assert not [n for n in listed if n.startswith("_") and n != "__version__"]
    assert "importlib" not in listed and "annotations" not in listed


@pytest.mark.parametrize("name", CONTRACT_DOMAIN)
def test_contract_names_import_from_the_top_and_from_their_subpackage(name):
    assert getattr(logicrm, name) is getattr(logicrm.domain, name)
    assert name in logicrm.__all__


def test_facade_is_exported_at_the_top():
    for name in FACADE:
        assert name in logicrm.__all__
        assert getattr(logicrm, name).__doc__


def test_top_level_exports_nothing_beyond_the_subpackages_and_facade():
    homes = {n for m in SUBPACKAGES for n in m.__all__} | set(FACADE) | {"__version__"}
    assert set(logicrm.__all__) == homes


def test_every_subpackage_name_is_exported_at_the_top_once():
    seen = {}
    for module in SUBPACKAGES:
        for name in module.__all__:
            assert name not in seen, f"{name} exported by {seen.get(name)} and {module.__name__}"
            seen[name] = module.__name__
            assert getattr(logicrm, name) is getattr(module, name)
            assert name in logicrm.__all__


def test_public_objects_live_in_private_modules_and_have_docstrings():
    for module in SUBPACKAGES:
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue  # constants are documented where they are defined
            assert obj.__doc__, f"{name} has no docstring"
            home = getattr(obj, "__module__", module.__name__)
            assert home.rsplit(".", 1)[-1].startswith("_") or home == module.__name__


def test_version_is_exposed():
    assert logicrm.__version__.startswith("0.")


def test_import_pulls_in_nothing_heavy():
    code = (
        "import sys, logicrm\n"
        "heavy = {'pandas','numpy','polars','scipy','dask','matplotlib','pyarrow','hypothesis'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_rows_are_typed_with_every_column_in_order():
    from typing import get_type_hints

    from logicrm._assess import ROW_COLUMNS

    assert tuple(get_type_hints(logicrm.AssessmentRow)) == ROW_COLUMNS
    data = __import__("logicrm.sample", fromlist=["sample_dataset"]).sample_dataset()
    results = logicrm.assess_all(
        data.customers, logicrm.summarize(data.shipments, as_of=data.as_of), as_of=data.as_of
    )
    assert tuple(results.rows()[0]) == ROW_COLUMNS


@pytest.mark.parametrize("module", ["_common", "_run", "_score", "_demo", "_main"])
def test_each_command_line_module_imports_first_without_a_circle(module):
    # An import circle shows when one of its modules is the first imported.
    subprocess.run([sys.executable, "-c", f"import logicrm.cli.{module}"], check=True)


def test_the_command_line_modules_import_one_way():
    import ast
    from pathlib import Path

    order = [
        "_common",
        "_run",
        "_feed",
        "_score",
        "_backtest",
        "_demo",
        "_main",
    ]  # each may use only earlier ones
    folder = Path(logicrm.__file__).parent / "cli"
    for position, name in enumerate(order):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        used = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("logicrm.cli.")
        }
        assert used <= set(order[:position]), (name, used)


@pytest.mark.parametrize(
    "module", ["_fit", "_special", "_bgnbd", "_gamma_gamma", "_clv", "_pareto", "_holdout"]
)
def test_each_model_module_imports_first_without_a_circle(module):
    subprocess.run([sys.executable, "-c", f"import logicrm.models.{module}"], check=True)
