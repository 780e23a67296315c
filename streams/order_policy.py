"""Settings (+ the sourcing-policy.json file, + the item master) → the order model's OrderPolicy and the ERP rate
limit."""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from processors.orders import FulfilmentKind, OrderPolicy, OrderSlas, SourcingPolicy
from processors.orders.erp_queue import RateLimit
from processors.orders.item_sourcing import NO_ITEMS, ItemSourcing, SourcedItem
from streams.settings import Settings

if TYPE_CHECKING:
    from streams.readmodel.items import ItemMasterTable


class PolicyFileError(ValueError):
    pass


def order_policy(settings: Settings, items: ItemSourcing = NO_ITEMS) -> OrderPolicy:
    return OrderPolicy(
        sourcing=replace(sourcing_policy(settings.sourcing_policy_file), items=items),
        slas=OrderSlas(acceptance_ms=settings.sla_order_acceptance_seconds * 1000,
                       allocation_ms=settings.sla_allocation_seconds * 1000,
                       shipment_confirmation_ms=settings.sla_shipment_confirmation_seconds * 1000,
                       credit_hold_timeout_ms=settings.credit_hold_timeout_seconds * 1000,
                       held_fact_timeout_ms=settings.held_fact_timeout_seconds * 1000,
                       return_completion_ms=settings.sla_return_completion_seconds * 1000),
        dedupe_window_size=settings.dedupe_window_max_ids, dedupe_window_ms=settings.dedupe_window_ms)


def erp_rate_limit(settings: Settings) -> RateLimit:
    return RateLimit(settings.erp_rate_limit_per_s, settings.erp_rate_limit_burst)


class ItemMasterSourcing:
    """The worker's item master (a global table over erp.item-master) as the saga's ItemSourcing port."""

    def __init__(self, table: ItemMasterTable) -> None:
        self.table = table

    def sourced_item(self, sku: str) -> SourcedItem | None:
        item = self.table.item(sku)
        if item is None:
            return None
        return SourcedItem(item.sku, FulfilmentKind(item.sourcing.value), item.supplier_id, item.lead_time_days,
                           item.active)


class SupplierLocations:
    """Locations whose shipments never touch our stock: the policy file's suppliers and every supplier the item
    master names for a DROP_SHIP or SPECIAL_ORDER item (recomputed when the table has read new records)."""

    def __init__(self, static: frozenset[str], table: ItemMasterTable) -> None:
        self.static, self.table = static, table
        self._lock = threading.Lock()
        self._seen_version = -1
        self._from_items: frozenset[str] = frozenset()

    def __contains__(self, location: object) -> bool:
        return location in self.static or location in self._item_suppliers()

    def _item_suppliers(self) -> frozenset[str]:
        version = self.table.records_read
        if version != self._seen_version:
            with self._lock:
                self._from_items = frozenset(item.supplier_id for item in self.table.values()
                                             if item.supplier_id and item.sourcing.value != "STOCKED")
                self._seen_version = version
        return self._from_items


def supplier_locations(settings: Settings) -> frozenset[str]:
    """Shipments from these locations are a supplier's (drop-ship): they never touch our stock."""
    document = _document(settings.sourcing_policy_file)
    suppliers = set(document.get("drop_ship_suppliers") or ())
    skus = document.get("drop_ship_skus") or {}
    if isinstance(skus, dict):
        suppliers.update(str(supplier) for supplier in skus.values() if supplier)
    return frozenset(suppliers)


def sourcing_policy(path: Path | None) -> SourcingPolicy:
    document = _document(path)
    skus = document.get("drop_ship_skus") or {}
    if isinstance(skus, list):  # the chart's form: SKUs only; the supplier comes with the order line
        skus = {str(sku): "" for sku in skus}
    try:
        return SourcingPolicy(
            location_priority=tuple(document.get("location_priority") or ()),
            max_locations_per_line=int(document.get("max_locations_per_line") or 1),
            drop_ship_skus={str(sku): str(supplier) for sku, supplier in skus.items()},
            lead_time_days_by_supplier={str(k): int(v) for k, v in
                                        (document.get("lead_time_days_by_supplier") or {}).items()},
            default_lead_time_days=int(document.get("default_lead_time_days", 7)))
    except (TypeError, ValueError, AttributeError) as error:
        raise PolicyFileError(f"sourcing policy {path}: {error}") from error


def _document(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise PolicyFileError(f"cannot read the sourcing policy {path}: {error}") from error
    if not isinstance(document, dict):
        raise PolicyFileError(f"sourcing policy {path}: expected a JSON object")
    return document
