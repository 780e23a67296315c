"""The ChangelogTable's decoded-value cache: write-through, bounded, never ahead of or behind RocksDB."""
from __future__ import annotations

import json
from pathlib import Path

from streams.engine.state import ChangelogTable, TableCodec


class CountingCodec:
    def __init__(self) -> None:
        self.loads_calls = 0

    def codec(self) -> TableCodec[dict]:  # type: ignore[type-arg]
        def loads(raw: bytes) -> dict:  # type: ignore[type-arg]
            self.loads_calls += 1
            return json.loads(raw)  # type: ignore[no-any-return]

        return TableCodec(lambda value: json.dumps(value).encode(), loads)


def table(tmp_path: Path, counting: CountingCodec, cache_bytes: int = 1 << 20) -> ChangelogTable[dict]:  # type: ignore[type-arg]
    built: ChangelogTable[dict] = ChangelogTable("t", "t-changelog", "t-source", counting.codec(),  # type: ignore[type-arg]
                                                 tmp_path, cache_bytes=cache_bytes)
    built.open(0)
    built.open(1)
    return built


def commit(t: ChangelogTable, offsets: dict[int, int]) -> None:  # type: ignore[type-arg]
    t.encode_batch()
    t.persist(offsets)


def test_a_persisted_value_is_read_back_without_decoding_it_again(tmp_path: Path) -> None:
    counting = CountingCodec()
    t = table(tmp_path, counting)
    value = {"qty": 3}
    t.put(0, b"k", value)
    commit(t, {0: 10})

    assert t.get(0, b"k") is value
    assert counting.loads_calls == 0
    t.close_all()


def test_a_discarded_batch_leaves_the_persisted_value(tmp_path: Path) -> None:
    counting = CountingCodec()
    t = table(tmp_path, counting)
    t.put(0, b"k", {"qty": 1})
    commit(t, {0: 1})
    t.put(0, b"k", {"qty": 99})

    t.discard_batch()

    assert t.get(0, b"k") == {"qty": 1}
    t.close_all()


def test_restore_and_revoke_drop_the_partitions_cached_values(tmp_path: Path) -> None:
    counting = CountingCodec()
    t = table(tmp_path, counting)
    t.put(0, b"k", {"qty": 1})
    t.put(1, b"j", {"qty": 2})
    commit(t, {0: 1, 1: 1})

    t.restore_raw(0, [(b"k", json.dumps({"qty": 7}).encode())], 5)  # the changelog knew a newer value

    assert t.get(0, b"k") == {"qty": 7}
    assert t.get(1, b"j") == {"qty": 2}
    t.close(1)
    t.open(1)
    assert counting.loads_calls == 1 and t.get(1, b"j") == {"qty": 2} and counting.loads_calls == 2
    t.close_all()


def test_the_cache_holds_no_more_than_its_byte_bound_and_keeps_the_most_recent(tmp_path: Path) -> None:
    counting = CountingCodec()
    size = len(json.dumps({"qty": 100}).encode())
    t = table(tmp_path, counting, cache_bytes=10 * size)
    for number in range(100, 150):
        t.put(0, str(number).encode(), {"qty": number})
    commit(t, {0: 50})

    assert t.cached_count == 10
    assert t.get(0, b"149") == {"qty": 149} and counting.loads_calls == 0  # among the last written: cached
    assert t.get(0, b"100") == {"qty": 100} and counting.loads_calls == 1  # evicted: read from RocksDB
    t.close_all()


def test_a_deleted_key_is_not_served_from_the_cache(tmp_path: Path) -> None:
    counting = CountingCodec()
    t = table(tmp_path, counting)
    t.put(0, b"k", {"qty": 1})
    commit(t, {0: 1})
    t.put(0, b"k", None)
    commit(t, {0: 2})

    assert t.get(0, b"k") is None
    t.close_all()


def test_without_a_cache_every_read_decodes(tmp_path: Path) -> None:
    counting = CountingCodec()
    t = table(tmp_path, counting, cache_bytes=0)
    t.put(0, b"k", {"qty": 1})
    commit(t, {0: 1})

    t.get(0, b"k")
    t.get(0, b"k")

    assert counting.loads_calls == 2 and t.cached_count == 0
    t.close_all()
