import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import logicrm as lc
from logicrm import calculators
from logicrm.calculators import Calculator, CalculatorKind
from logicrm.errors import UnknownCalculatorError, ValidationError
from logicrm.sample import sample_dataset

PLUGIN = Path(__file__).parent / "plugin_package"


def test_built_in_value_calculator_is_listed():
    assert "logicrm.value" in calculators.available(CalculatorKind.VALUE)
    assert calculators.get("logicrm.value").function is lc.value_score


def test_unknown_calculator_names_what_is_available():
    with pytest.raises(UnknownCalculatorError) as info:
        calculators.get("nope")
    assert "logicrm.value" in str(info.value)


def test_register_use_and_unregister_a_calculator():
    def flat(customer, activity, *, as_of):
        return lc.ValueScore(42.0, {}, (lc.Reason("flat", "always 42"),))

    data = sample_dataset()
    activity = lc.summarize(data.shipments, as_of=data.as_of)["C00000"]
    calculators.register(Calculator(name="test.flat", kind="value", function=flat))
    try:
        with pytest.raises(ValidationError):
            calculators.register(Calculator(name="test.flat", kind="value", function=flat))
        result = lc.assess(
            data.customers[0], activity, as_of=data.as_of, value_calculator="test.flat"
        )
        assert result.value.score == 42.0
    finally:
        calculators.unregister("test.flat")
    assert "test.flat" not in calculators.available()


def test_a_plain_callable_works_as_a_calculator_too():
    data = sample_dataset()
    activity = lc.summarize(data.shipments, as_of=data.as_of)["C00000"]
    result = lc.assess(
        data.customers[0],
        activity,
        as_of=data.as_of,
        value_calculator=lambda c, a, *, as_of: lc.ValueScore(1.0, {}, ()),
    )
    assert result.value.score == 1.0


def test_a_calculator_must_return_a_value_score():
    data = sample_dataset()
    with pytest.raises(ValidationError):
        lc.assess(
            data.customers[0], None, as_of=data.as_of, value_calculator=lambda c, a, *, as_of: 3
        )


def test_built_ins_cannot_be_unregistered():
    with pytest.raises(ValidationError):
        calculators.unregister("logicrm.value")


def test_an_installed_third_party_package_is_discovered_and_used_by_assess(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        capture_output=True,
    )
    script = textwrap.dedent(
        """
        import warnings
        import logicrm as lc
        from logicrm import calculators
        from logicrm.sample import sample_dataset

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            names = calculators.available("value")
        assert "acme.margin" in names, names
        assert "acme-broken" in calculators.failed(), calculators.failed()
        assert any("acme-broken" in str(w.message) for w in caught)

        data = sample_dataset()
        activity = lc.summarize(data.shipments, as_of=data.as_of)["C00000"]
        result = lc.assess(data.customers[0], activity, as_of=data.as_of,
                           value_calculator="acme.margin")
        expected = float(activity.margin / activity.revenue) * 100
        assert abs(result.value.score - expected) < 1e-9, result.value
        assert result.value.reasons[0].code == "acme.margin"
        assert "acme.keep" in calculators.available("action")
        kept = lc.assess(data.customers[0], activity, as_of=data.as_of,
                         action_calculator="acme.keep")
        assert kept.action.action.value == "keep_marginal", kept.action
        assert kept.action.reasons[0].code == "acme.keep"
        assert kept.row()["next_action"] == "keep_marginal"
        print("ok")
        """
    )
    env = {"PYTHONPATH": str(target), "PATH": ""}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_broken_plugins_are_skipped_with_a_warning(monkeypatch):
    class Entry:
        name = "broken"

        def load(self):
            raise ImportError("missing dependency")

    monkeypatch.setattr(calculators, "_discovered", False)
    monkeypatch.setattr(calculators, "_failed", {})
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [Entry()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calculators.available()
    assert "broken" in calculators.failed()
    assert caught and "broken" in str(caught[0].message)
