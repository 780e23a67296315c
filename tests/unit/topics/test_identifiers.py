"""The list check of SKUs agrees with the one-by-one check, whatever the list holds."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from topics.identifiers import are_valid_skus, is_valid_sku

_SKU_ALPHABET = st.sampled_from("Ab9._:/-\n\r x\x00ü")
_ITEMS = st.one_of(st.text(_SKU_ALPHABET, max_size=70), st.sampled_from(["SKU-1", "a/b", "x" * 64, "x" * 65]),
                   st.integers(), st.none())


@given(st.lists(_ITEMS, max_size=8))
@example(["SKU-1\nSKU-2"])  # a newline inside one item must not split it into two valid SKUs
@example(["a/../b", "SKU-1"])  # a path segment the pattern lets through
@example(["SKU-1", 42])
@example(["x" * 64, "x" * 65])
@example([])
def test_the_list_check_is_the_one_by_one_check(skus: list[object]) -> None:
    assert are_valid_skus(skus) == all(is_valid_sku(sku) for sku in skus)
