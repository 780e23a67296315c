"""ERP records as the integration produces them (plain dicts in the erp/* schemas), for tests and benchmarks."""
from __future__ import annotations

from typing import Any

MARCH_1 = 1_772_323_200_000


def envelope(event_type: str, event_id: str, occurred_at: int) -> dict[str, Any]:
    return {"event_id": event_id, "event_type": event_type, "source": "erp", "correlation_id": event_id,
            "causation_id": None, "occurred_at": occurred_at, "produced_at": occurred_at + 5}


def item_master(sku: str, *, active: bool = True, category: str | None = "clocks", sourcing: str = "STOCKED",
                supplier_id: str | None = None, lead_time_days: int | None = None, occurred_at: int = MARCH_1,
                event_id: str | None = None) -> dict[str, Any]:
    return {"envelope": envelope("ItemMasterChanged", event_id or f"im-{sku}-{occurred_at}", occurred_at),
            "sku": sku, "description": f"{sku} description", "unit_of_measure": "EA", "category": category,
            "sourcing": sourcing, "supplier_id": supplier_id, "lead_time_days": lead_time_days, "active": active}


def price(sku: str, unit_price: str, *, scope: str = "PRICE_LIST", scope_id: str = "LIST-EUR",
          price_id: str | None = None, breaks: tuple[tuple[int, str], ...] = (), valid_from: int = MARCH_1 - 86_400_000,
          valid_to: int | None = None, status: str = "ACTIVE", occurred_at: int = MARCH_1,
          event_id: str | None = None, contract_id: str | None = None) -> dict[str, Any]:
    price_id = price_id or f"{scope}:{scope_id}:{sku}"
    return {"envelope": envelope("PriceChanged", event_id or f"pr-{price_id}-{occurred_at}", occurred_at),
            "price_id": price_id, "sku": sku, "scope": scope, "scope_id": scope_id, "contract_id": contract_id,
            "currency": "EUR",
            "breaks": [{"min_quantity": q, "unit_price": p} for q, p in ((1, unit_price),) + breaks],
            "valid_from": valid_from, "valid_to": valid_to, "status": status}


def customer_account(customer_id: str, *, status: str = "ACTIVE", credit_hold: bool = False,
                     price_list_id: str = "LIST-EUR", customer_group: str | None = "trade",
                     channels: tuple[str, ...] = ("web",), allowed_skus: list[str] | None = None,
                     allowed_categories: list[str] | None = None, occurred_at: int = MARCH_1,
                     event_id: str | None = None) -> dict[str, Any]:
    return {"envelope": envelope("CustomerAccountChanged", event_id or f"ca-{customer_id}-{occurred_at}",
                                 occurred_at),
            "customer_id": customer_id, "account_status": status, "credit_hold": credit_hold,
            "credit_limit": None, "credit_exposure": None, "currency": "EUR", "price_list_id": price_list_id,
            "customer_group": customer_group, "channels": list(channels), "allowed_skus": allowed_skus,
            "allowed_categories": allowed_categories}
