"""The Spark recipe of the docs, run for real in local mode (needs pyspark and Java)."""

import os
import shutil
import sys

import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - CI has Java
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

import logicrm as lc
from logicrm.io import _flatten
from logicrm.sample import sample_dataset
from logicrm.serialization import to_dict


def test_spark_partitions_merge_to_the_single_pass(monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    data = sample_dataset()
    as_of = data.as_of
    rows = [_flatten(to_dict(s)) for s in data.shipments]
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("logicrm-test")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        frame = spark.createDataFrame(rows).repartition(4)

        def summarise_partition(partition):
            import polars as pl

            from logicrm.frames import summarize_frame

            records = [row.asDict() for row in partition]
            if not records:
                return []
            return [summarize_frame(pl.DataFrame(records), as_of=as_of).activities]

        partials = frame.rdd.mapPartitions(summarise_partition).collect()
    finally:
        spark.stop()
    assert len(partials) > 1
    assert lc.merge_activities(*partials) == lc.summarize(data.shipments, as_of=as_of)
    assert os.environ["PYSPARK_PYTHON"] == sys.executable
