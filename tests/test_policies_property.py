"""Every policy file logicrm accepts means something: one field of the default policies set to
a hostile value is either refused with the library's error naming its path, or gives a score
and a worklist on the sample without an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logicrm.cli import main
from logicrm.errors import ValidationError
from logicrm.policies import Policies, dumps_policies, loads_policies
from logicrm.sample import write_sample

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")
DEFAULTS = json.loads(dumps_policies(Policies(), format="json"))


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


LEAVES = sorted(_leaves(DEFAULTS), key=str)
HOSTILE = st.one_of(
    st.sampled_from([-1, 0, 1, 2, 10**6, 10**12]),
    st.sampled_from([-1.0, 0.0, 0.5, 1.0, 1e9]),
    st.sampled_from(["", "-1", "0", "1e9", "P0D", "PT1S", "P3660D", "P99999D", "bribe"]),
    st.sampled_from([[], ["bribe"], [""], ["follow_up_visit", "follow_up_visit"]]),
    st.sampled_from([{}, {"bribe": 1}]),
    st.booleans(),
)


def _with(path, value):
    data = json.loads(json.dumps(DEFAULTS))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.sampled_from(LEAVES), value=HOSTILE)
def test_an_accepted_policy_scores_and_plans_without_an_internal_error(
    sample_files, tmp_path_factory, capsys, path, value
):
    text = json.dumps(_with(path, value))
    refused = None
    try:
        loads_policies(text, format="json")
    except ValidationError as error:
        refused = error
    if refused is not None:  # refused: by the library's error, naming the field's section
        assert refused.field.startswith(str(path[0])), (path, refused.field)
        return
    folder = tmp_path_factory.mktemp("run")
    policy = Path(folder) / "policy.json"
    policy.write_text(text, encoding="utf-8")
    files = sample_files
    common = [
        str(files["shipments"]), "--customers", str(files["customers"]),
        "--complaints", str(files["complaints"]), "--interactions", str(files["interactions"]),
        "--as-of", "2026-06-30T18:00:00Z", "--policy", str(policy), "--no-progress",
        "--rejects", str(Path(folder) / "r.jsonl"),
    ]  # fmt: skip
    for command in (["score", "--format", "csv"], ["worklist", "--format", "csv"]):
        code = main([*command, *common])
        err = capsys.readouterr().err
        assert "internal error" not in err and "Traceback" not in err, (path, value, err)
        assert code in (0, 2), (path, value, err)
