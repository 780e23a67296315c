"""BatchHistogram exposes what prometheus_client's Histogram exposes for the same observations, fed a batch at a time.

Dashboards and alerts read these series (histogram_quantile over _bucket, rates of _count and _sum), so the text a
scrape gets must be the same, bucket by bucket, whatever the batches were; only Histogram's _created series is
not kept.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from streams.metrics import LAG_BUCKETS, BatchHistogram, WorkerMetrics, metric_names

BOUNDS = (0.005, 0.01, 0.5, 1.0, 30)
values = st.one_of(st.sampled_from([0.0, *BOUNDS, 0.0050001, 31.0, math.inf]),
                   st.floats(min_value=0, max_value=100, allow_nan=False))
batches = st.lists(st.tuples(st.sampled_from(["wms", "erp", "commerce"]), st.lists(values, max_size=20)),
                   max_size=8)


def exposition(registry: CollectorRegistry) -> list[str]:
    return [line for line in generate_latest(registry).decode().splitlines() if "_created" not in line]


@given(batches)
def test_the_same_observations_give_the_same_exposition_as_a_histogram(fed: list[tuple[str, list[float]]]) -> None:
    reference, batched = CollectorRegistry(), CollectorRegistry()
    histogram = Histogram("lag_seconds", "Lag", ["source_system"], buckets=BOUNDS, registry=reference)
    batch_histogram = BatchHistogram("lag_seconds", "Lag", ["source_system"], BOUNDS, batched)

    for source, observed in fed:
        child = histogram.labels(source)
        for value in observed:
            child.observe(value)
        batch_histogram.observe_many(observed, source)

    assert exposition(batched) == exposition(reference)


def test_an_unlabelled_histogram_counts_every_batch() -> None:
    registry = CollectorRegistry()
    ages = BatchHistogram("age_seconds", "Age", (), LAG_BUCKETS, registry)
    assert registry.get_sample_value("age_seconds_count") == 0  # exposed before the first batch, as Histogram is

    ages.observe_many([0.001, 0.02])
    ages.observe_many([7200.0])

    assert registry.get_sample_value("age_seconds_bucket", {"le": "0.005"}) == 1
    assert registry.get_sample_value("age_seconds_bucket", {"le": "3600.0"}) == 2
    assert registry.get_sample_value("age_seconds_bucket", {"le": "+Inf"}) == 3
    assert registry.get_sample_value("age_seconds_count") == 3
    assert registry.get_sample_value("age_seconds_sum") == pytest.approx(7200.021)


def test_labels_must_match_the_declaration() -> None:
    lags = BatchHistogram("lag_seconds", "Lag", ["source_system"], LAG_BUCKETS, CollectorRegistry())

    with pytest.raises(ValueError, match="source_system"):
        lags.observe_many([1.0])


def test_the_worker_declares_its_lag_histograms_under_their_names() -> None:
    names = metric_names(WorkerMetrics.create(CollectorRegistry()))

    assert {"distflow_sync_lag_applied_seconds", "distflow_sync_lag_visible_seconds",
            "distflow_snapshot_entry_age_seconds"} <= names
