import subprocess
import sys
from collections import Counter

from logicrm.sample import SAMPLE_AS_OF, generate_customers, generate_shipments, sample_dataset


def test_sample_is_deterministic():
    assert sample_dataset() == sample_dataset()
    assert sample_dataset(seed=8) != sample_dataset()


def test_sample_covers_every_kind_and_complaint_stage():
    data = sample_dataset()
    assert {c.kind.value for c in data.customers} == {"individual", "enterprise", "institution"}
    assert {c.status.value for c in data.complaints} >= {"registered", "resolved", "confirmed"}
    assert all(s.ordered_at <= SAMPLE_AS_OF for s in data.shipments)


def test_generated_shipments_refer_to_generated_customers_and_are_skewed():
    customers = generate_customers(200)
    ids = {c.id for c in customers}
    counts = Counter(s.customer_id for s in generate_shipments(5000, customers=200))
    assert set(counts) <= ids
    top = sum(n for _, n in counts.most_common(40))
    assert top / 5000 > 0.6  # the top 20% of customers place most orders


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_demo_runs_as_a_console_script_and_as_a_module():
    script = run("logicrm", "demo") if _has_script() else None
    module = run(sys.executable, "-m", "logicrm", "demo")
    assert module.returncode == 0, module.stderr
    assert "Huabei Auto Parts" in module.stdout
    assert "loaded 1 of 3" in module.stdout
    if script is not None:
        assert script.stdout == module.stdout


def test_demo_never_prints_contact_details():
    out = run(sys.executable, "-m", "logicrm", "demo").stdout
    for customer in sample_dataset().customers:
        assert customer.contact is not None
        assert customer.contact.phone not in out
        assert customer.contact.email not in out
        if customer.kind.value == "individual":
            assert customer.name not in out


def test_cli_without_a_command_exits_non_zero():
    assert run(sys.executable, "-m", "logicrm").returncode == 2


def _has_script():
    import shutil

    return shutil.which("logicrm") is not None
