import subprocess
import sys
import textwrap

from hypothesis import given

from logicrm import Money
from strategies import customer_histories


def test_from_type_works_in_a_user_suite_without_importing_logicrm_testing(tmp_path):
    # A user's own test module: only hypothesis and logicrm, never logicrm.testing.
    user_test = tmp_path / "test_user_suite.py"
    user_test.write_text(
        textwrap.dedent(
            """
            import sys
            from hypothesis import given, settings, strategies as st
            import logicrm

            @settings(max_examples=25)
            @given(st.from_type(logicrm.Shipment), st.from_type(logicrm.Customer))
            def test_user_property(shipment, customer):
                assert isinstance(shipment, logicrm.Shipment)
                assert shipment.units_damaged <= shipment.units_delivered
                assert isinstance(customer, logicrm.Customer)

            def test_user_did_not_import_the_testing_module_directly():
                assert "logicrm.testing" not in sys.argv
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(user_test)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


@given(customer_histories())
def test_customer_histories_are_consistent(history):
    customer_id = history.customer.id
    currency = history.credit_profile.currency
    assert all(s.customer_id == customer_id for s in history.shipments)
    assert all(s.revenue.currency == currency for s in history.shipments)
    assert len({s.id for s in history.shipments}) == len(history.shipments)
    shipment_ids = {s.id for s in history.shipments}
    for complaint in history.complaints:
        assert complaint.customer_id == customer_id
        assert complaint.shipment_id is None or complaint.shipment_id in shipment_ids
    billed = sum((s.revenue for s in history.shipments), Money.zero(currency))
    assert history.credit_profile.customer_id == customer_id
    assert history.credit_profile.receivable <= billed


def test_importing_logicrm_testing_before_hypothesis_works():
    # The entry point runs while Hypothesis imports; it must not import the strategies back.
    code = (
        "import logicrm.testing, hypothesis.strategies as st, logicrm; st.from_type(logicrm.Money)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
