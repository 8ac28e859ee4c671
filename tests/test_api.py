"""The public API: what is exported, from where, and what importing costs."""

import subprocess
import sys

import pytest

import logicrm
import logicrm.domain
import logicrm.quality
import logicrm.scoring

SUBPACKAGES = [logicrm.domain, logicrm.scoring, logicrm.quality]
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


def test_all_is_sorted_and_unique():
    for module in [logicrm, *SUBPACKAGES]:
        assert list(module.__all__) == sorted(set(module.__all__)), module.__name__


@pytest.mark.parametrize("name", CONTRACT_DOMAIN)
def test_contract_names_import_from_the_top_and_from_their_subpackage(name):
    assert getattr(logicrm, name) is getattr(logicrm.domain, name)
    assert name in logicrm.__all__


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
