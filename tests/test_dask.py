"""The Dask path on a real two-process cluster equals the single-process result."""

import dask.bag as db
import dask.dataframe as dd
import pytest
from distributed import Client, LocalCluster

import logicrm as lc
from logicrm.dask import summarize_bag, summarize_dask
from logicrm.io import _flatten
from logicrm.sample import sample_dataset
from logicrm.serialization import to_dict


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_dataframe_partitions_on_two_workers_merge_to_the_single_pass(client):
    import pandas as pd

    data = sample_dataset()
    frame = pd.DataFrame([_flatten(to_dict(s)) for s in data.shipments])
    result = summarize_dask(dd.from_pandas(frame, npartitions=6), as_of=data.as_of)
    assert len(client.scheduler_info()["workers"]) == 2
    assert result.activities == lc.summarize(data.shipments, as_of=data.as_of)
    assert result.rejected.height == 0


def test_a_bag_of_shipments_merges_to_the_single_pass(client):
    data = sample_dataset()
    bag = db.from_sequence(data.shipments, npartitions=5)
    assert summarize_bag(bag, as_of=data.as_of) == lc.summarize(data.shipments, as_of=data.as_of)
