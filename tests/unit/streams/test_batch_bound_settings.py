"""A batch's two bounds are configuration: records (under a backlog, more records share one write per key) and bytes
of record values (large records make smaller batches, so memory follows what a batch holds)."""
from __future__ import annotations

import pytest

from streams.app import worker_config
from streams.settings import Settings, load_settings


def test_the_defaults_reach_the_worker() -> None:
    config = worker_config(Settings(kafka_bootstrap_servers="127.0.0.1:9"))

    assert (config.batch_max_records, config.batch_max_bytes) == (20_000, 8 * 1024 * 1024)


def test_the_environment_sets_both_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTFLOW_BATCH_MAX_RECORDS", "5000")
    monkeypatch.setenv("DISTFLOW_BATCH_MAX_BYTES", "1048576")

    config = worker_config(load_settings(kafka_bootstrap_servers="127.0.0.1:9"))

    assert (config.batch_max_records, config.batch_max_bytes) == (5_000, 1_048_576)


@pytest.mark.parametrize("name", ["batch_max_records", "batch_max_bytes"])
def test_a_bound_below_one_is_refused_at_startup(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings(**{name: 0})
