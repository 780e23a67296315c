"""Checks every source event passes before it may change state."""
from __future__ import annotations

from dataclasses import dataclass

from topics.identifiers import LOCATION_PATTERN, SKU_PATTERN, is_valid_location, is_valid_sku

MAX_QUANTITY = 1_000_000
MAX_FUTURE_MS = 24 * 60 * 60 * 1000  # clocks drift; a day ahead is a broken clock, not drift
MAX_PAST_MS = 400 * 24 * 60 * 60 * 1000
MAX_ID_LENGTH = 200  # event, correlation and business ids: they become keys, headers and log fields
MAX_TEXT_LENGTH = 1_000  # free text carried along (reasons, references)


@dataclass(frozen=True)
class Invalid(Exception):
    reason_code: str
    reason: str


def check_envelope(envelope: dict[str, object], now_ms: int) -> None:
    if not str(envelope.get("event_id") or "").strip():
        raise Invalid("missing_event_id", "envelope.event_id is empty: it is the idempotency key, every event needs one")
    for name in ("event_id", "correlation_id", "causation_id"):
        check_text(envelope.get(name), f"envelope.{name}", MAX_ID_LENGTH)
    occurred = int(envelope.get("occurred_at") or 0)  # type: ignore[call-overload]
    if occurred > now_ms + MAX_FUTURE_MS:
        raise Invalid("occurred_in_future", f"occurred_at {occurred} is more than a day after now ({now_ms}): "
                                            f"check the producer's clock")
    if occurred < now_ms - MAX_PAST_MS:
        raise Invalid("occurred_too_long_ago", f"occurred_at {occurred} is more than 400 days before now "
                                               f"({now_ms}): a replay of ancient data? Fix and replay it on purpose")


def check_sku(sku: object) -> str:
    if not is_valid_sku(sku):
        raise Invalid("invalid_sku", f"sku {sku!r} does not match {SKU_PATTERN.pattern} (no empty, '.' or '..' "
                                     f"segment)")
    return sku


def check_location(location: object) -> str:
    if not is_valid_location(location):
        raise Invalid("invalid_location", f"location {location!r} does not match {LOCATION_PATTERN.pattern}")
    return location


def check_quantity(quantity: object, field: str, *, allow_zero: bool = False, allow_negative: bool = False) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise Invalid("invalid_quantity", f"{field} {quantity!r} is not an integer")
    if abs(quantity) > MAX_QUANTITY:
        raise Invalid("quantity_out_of_range", f"{field} {quantity} exceeds ±{MAX_QUANTITY}: a unit-of-measure "
                                               f"or typing error at the source?")
    if quantity == 0 and not allow_zero:
        raise Invalid("invalid_quantity", f"{field} is 0; a movement of nothing is a producer bug")
    if quantity < 0 and not allow_negative:
        raise Invalid("invalid_quantity", f"{field} {quantity} is negative; only adjustments may be negative")
    return quantity


def check_text(value: object, field: str, max_length: int = MAX_TEXT_LENGTH) -> None:
    """An id or free text longer than any real one (a runaway producer, an injected payload) is refused whole."""
    if isinstance(value, str) and len(value) > max_length:
        raise Invalid("field_too_long", f"{field} is {len(value)} characters, more than the {max_length} allowed: "
                                        f"a producer bug? The record is kept here unchanged")
