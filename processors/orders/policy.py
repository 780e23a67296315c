"""The knobs the business sets for orders; processors never read settings, the shell passes an OrderPolicy in."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from processors.orders.item_sourcing import NO_ITEMS, ItemSourcing
from processors.values import fast_init

MINUTE_MS = 60 * 1000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


@fast_init
@dataclass(frozen=True, slots=True)
class SourcingPolicy:
    location_priority: tuple[str, ...] = ()  # preferred locations, best first (sent with every ReserveLine)
    max_locations_per_line: int = 1  # how many locations one line claim may be split over
    drop_ship_skus: Mapping[str, str] = field(default_factory=dict)  # sku → supplier: always drop-shipped
    lead_time_days_by_supplier: Mapping[str, int] = field(default_factory=dict)
    exclude_short_location_on_resource: bool = True  # re-sourcing a short pick does not prefer that location
    default_lead_time_days: int = 7
    # the ERP's item master (routing and lead times per SKU); the fields above override or complete it
    items: ItemSourcing = field(default=NO_ITEMS, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_locations_per_line < 1:
            raise ValueError(f"max_locations_per_line must be at least 1, got {self.max_locations_per_line}")
        if self.default_lead_time_days < 0 or any(days < 0 for days in self.lead_time_days_by_supplier.values()):
            raise ValueError("lead times cannot be negative")
        object.__setattr__(self, "location_priority", tuple(self.location_priority))
        object.__setattr__(self, "drop_ship_skus", MappingProxyType(dict(self.drop_ship_skus)))
        object.__setattr__(
            self, "lead_time_days_by_supplier", MappingProxyType(dict(self.lead_time_days_by_supplier)))

    def lead_time_ms(self, supplier: str | None) -> int:
        days = self.lead_time_days_by_supplier.get(supplier or "", self.default_lead_time_days)
        return days * DAY_MS

    def line_lead_time_ms(self, sku: str, supplier: str | None) -> int:
        """The item master's lead time when it names this supplier (or none), else the policy's for the supplier."""
        item = self.items.sourced_item(sku)
        if item is not None and item.lead_time_days is not None and item.supplier in (None, supplier or None):
            return item.lead_time_days * DAY_MS
        return self.lead_time_ms(supplier)


@fast_init
@dataclass(frozen=True, slots=True)
class OrderSlas:
    acceptance_ms: int = 30 * MINUTE_MS  # placed → the ERP's verdict
    allocation_ms: int = 4 * HOUR_MS  # accepted → every open unit allocated or on a purchase order
    shipment_confirmation_ms: int = 48 * HOUR_MS  # first fulfilment request → everything shipped
    credit_hold_timeout_ms: int = 72 * HOUR_MS  # a credit hold not released by then cancels the order
    held_fact_timeout_ms: int = HOUR_MS  # an early fact waits this long for the state it refers to
    return_completion_ms: int = 14 * DAY_MS  # return requested → credited (or refused)

    def __post_init__(self) -> None:
        for name in self.__slots__:  # type: ignore[attr-defined]
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")


@fast_init
@dataclass(frozen=True, slots=True)
class OrderPolicy:
    sourcing: SourcingPolicy = SourcingPolicy()
    slas: OrderSlas = OrderSlas()
    dedupe_window_size: int = 256  # event ids remembered per order (at least this many, see inventory/dedupe.py)
    dedupe_window_ms: int = 48 * HOUR_MS  # ...and at least this long in event time
    timeline_limit: int = 64  # transitions kept per order (older ones are counted, not kept)
    max_held_facts: int = 32  # early facts held per order; beyond it the oldest expires at once

    def __post_init__(self) -> None:
        if self.dedupe_window_size < 1 or self.dedupe_window_ms < 0:
            raise ValueError("the dedupe window needs a size of at least 1 and a non-negative age")
        if self.timeline_limit < 1 or self.max_held_facts < 1:
            raise ValueError("timeline_limit and max_held_facts must be at least 1")
