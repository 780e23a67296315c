from processors.inventory import DuplicateIgnored, InventoryPolicy, apply_fact, stock_at
from processors.inventory.dedupe import RecentKeys
from tests.unit.processors.factories import FactBook, run

EAST = "WH-EAST"
HOUR = 3_600_000


def test_a_duplicate_event_id_changes_nothing() -> None:
    book = FactBook()
    receipt = book.receipt(EAST, 5)
    state, _ = run([receipt])

    again, decisions = apply_fact(state, receipt, InventoryPolicy())

    assert again is state
    assert decisions == (DuplicateIgnored(book.sku, receipt.event_id),)


def test_the_version_counts_applied_facts_only() -> None:
    book = FactBook()
    receipt = book.receipt(EAST, 5)

    state, _ = run([receipt, receipt, book.adjustment(EAST, 1), receipt])

    assert (state.version, stock_at(state, EAST).on_hand) == (2, 6)


def test_the_window_remembers_at_least_the_last_size_keys() -> None:
    window = RecentKeys()
    for n in range(100):
        window = window.remember(f"e{n}", n, n, size=16, max_age_ms=HOUR)

    assert all(f"e{n}" in window for n in range(84, 100))
    assert "e0" not in window
    assert len(window) <= 16 + 16 // 8


def test_the_window_forgets_keys_older_than_its_age() -> None:
    window = RecentKeys()
    for n in range(40):
        window = window.remember(f"e{n}", n * HOUR, n * HOUR, size=1000, max_age_ms=2 * HOUR)

    assert "e39" in window and "e37" in window
    assert "e0" not in window and len(window) <= 6


def test_late_keys_never_split_the_window_into_many_small_chunks() -> None:
    window = RecentKeys()
    for n in range(2000):
        now = n * 1000
        window = window.remember(f"e{n}", now - HOUR, now, size=256, max_age_ms=2 * HOUR)

    assert len(window.sealed) <= 18
    assert all(f"e{n}" in window for n in range(2000 - 256, 2000))
