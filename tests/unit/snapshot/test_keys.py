"""The snapshot key layout: one key per SKU under the configured prefix, and only for SKUs in the pattern."""
from __future__ import annotations

import pytest

from streams.snapshot.keys import InvalidSku, SnapshotKeys, availability_key, is_valid_sku


def test_a_sku_key_sits_under_the_prefix() -> None:
    keys = SnapshotKeys("distflow:")

    assert keys.availability("SKU-00001") == "distflow:availability:SKU-00001"
    assert keys.writer_heartbeat == "distflow:snapshot:writer-heartbeat"


@pytest.mark.parametrize("sku", ["SKU-1", "a", "RETRO.CLOCK_2", "vendor:123/blue", "x" * 64, "9/8/7"])
def test_real_looking_skus_are_valid(sku: str) -> None:
    assert is_valid_sku(sku)


@pytest.mark.parametrize("sku", [
    "", "x" * 65, "../../etc/passwd", "a/../b", "a/./b", "a//b", "a/", "-leading-dash", ".hidden", "a b",
    "x\r\nSET k v", "SKU-1\n", "ümlaut", "a*", "a{b}", "a\x00b", None, 42,
])
def test_anything_else_is_refused_before_it_becomes_a_key(sku: object) -> None:
    assert not is_valid_sku(sku)
    with pytest.raises(InvalidSku):
        SnapshotKeys("distflow:").availability(sku)  # type: ignore[arg-type]


def test_the_key_function_and_the_layout_agree() -> None:
    assert availability_key("p:", "SKU-1") == SnapshotKeys("p:").availability("SKU-1")
