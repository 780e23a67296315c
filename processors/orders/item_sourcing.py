"""The item master as the saga sees it: per SKU, how it is sourced, from which supplier, its lead time, active flag.

A port: the saga never reads a topic. The shell puts an implementation into `SourcingPolicy.items` (the worker: a
global table over the ERP's item master, every partition on every worker); tests use `StaticItems`. The saga asks
it when an order is placed (how each line is routed) and when supplier lines go on a purchase order (lead time).

Precedence (docs/orders.md, "Sourcing"):

* routing of a line placed STOCKED: the policy file's `drop_ship_skus` (an operator's override) → the item
  master's DROP_SHIP / SPECIAL_ORDER with its supplier → stocked. A line the storefront placed as DROP_SHIP or
  SPECIAL_ORDER keeps its kind; its supplier is the line's, else the policy's, else the item master's.
* lead time of a supplier line: the item master's, when it names the line's supplier (or none) → the policy's
  per-supplier lead time → the policy's default.
* a SKU the item master does not know: the policy file alone, exactly as without an item master.

An inactive item is routed like an active one: the storefront's checkout validation refuses inactive SKUs, an order
that still names one (placed before the ERP discontinued it) is honoured as sourced, and the ERP judges it when
asked to accept the order.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from processors.orders.facts import FulfilmentKind
from processors.values import fast_init


@fast_init
@dataclass(frozen=True, slots=True)
class SourcedItem:
    sku: str
    kind: FulfilmentKind  # STOCKED: from our shelves; SPECIAL_ORDER / DROP_SHIP: from `supplier`
    supplier: str | None = None
    lead_time_days: int | None = None
    active: bool = True

    def __post_init__(self) -> None:
        if self.lead_time_days is not None and self.lead_time_days < 0:
            raise ValueError(f"{self.sku}: lead time cannot be negative, got {self.lead_time_days}")
        if self.kind is not FulfilmentKind.STOCKED and not self.supplier:
            raise ValueError(f"{self.sku}: a {self.kind} item needs its supplier")

    @property
    def from_supplier(self) -> bool:
        return self.kind is not FulfilmentKind.STOCKED


class ItemSourcing(Protocol):
    def sourced_item(self, sku: str) -> SourcedItem | None:
        """The SKU's item master entry, or None when the item master does not know it."""
        ...


class StaticItems:
    """A fixed item master (tests, tools)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[SourcedItem] = ()) -> None:
        self._items = {item.sku: item for item in items}

    def sourced_item(self, sku: str) -> SourcedItem | None:
        return self._items.get(sku)


NO_ITEMS: ItemSourcing = StaticItems()
