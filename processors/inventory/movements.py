"""Physical and status facts at one location: receipts, adjustments, counts, snapshots, status moves, supply,
returns. None of them touches a claim; backorders fill afterwards if stock became available (see apply.py)."""
from __future__ import annotations

from processors.inventory.decisions import DriftDetected, InventoryDecision, StaleFactIgnored
from processors.inventory.facts import (
    CycleCounted, Disposition, InventoryAdjusted, OnHandSnapshot, ReceiptConfirmed, ReturnDispositioned,
    ReturnReceived, StatusMoved, SupplyExpected)
from processors.inventory.policy import InventoryPolicy
from processors.inventory.position import LocationStock, move_physically, move_status
from processors.inventory.reconciliation import is_drift, is_opening_balance, rebased, why_not_rebase
from processors.inventory.state import SkuInventory, stock_at, with_stock
from processors.inventory.supply import expect_supply, receive_against
from processors.values import evolve

Outcome = tuple[SkuInventory, tuple[InventoryDecision, ...]]


def _moved(state: SkuInventory, location: str, delta: int, at: int, policy: InventoryPolicy) -> LocationStock:
    return move_physically(stock_at(state, location), delta, at, policy.max_recent_movements)


def receive(state: SkuInventory, fact: ReceiptConfirmed, policy: InventoryPolicy) -> Outcome:
    stock = _moved(state, fact.location, fact.quantity, fact.occurred_at, policy)
    if fact.po_line_id is not None:
        incoming = receive_against(stock.incoming, fact.po_line_id, fact.quantity, fact.occurred_at)
        stock = evolve(stock, incoming=incoming)
    return with_stock(state, stock), ()


def adjust(state: SkuInventory, fact: InventoryAdjusted, policy: InventoryPolicy) -> Outcome:
    return with_stock(state, _moved(state, fact.location, fact.delta, fact.occurred_at, policy)), ()


def count(state: SkuInventory, fact: CycleCounted, policy: InventoryPolicy) -> Outcome:
    stock = stock_at(state, fact.location)
    reason = why_not_rebase(stock, fact.occurred_at)
    if reason is not None:
        return with_stock(state, stock), (StaleFactIgnored(state.sku, fact.event_id, fact.location, reason),)
    return with_stock(state, rebased(stock, fact.counted, fact.occurred_at)), ()


def take_snapshot(state: SkuInventory, fact: OnHandSnapshot, policy: InventoryPolicy) -> Outcome:
    """The ERP's figure becomes the new base; DriftDetected if, reconciled, it moves on hand beyond tolerance."""
    stock = stock_at(state, fact.location)
    reason = why_not_rebase(stock, fact.as_of)
    if reason is not None:
        return with_stock(state, stock), (StaleFactIgnored(state.sku, fact.event_id, fact.location, reason),)
    updated = rebased(stock, fact.on_hand, fact.as_of)
    if is_opening_balance(stock) or not is_drift(stock.on_hand, updated.on_hand, policy.drift_tolerance):
        return with_stock(state, updated), ()
    drift = DriftDetected(
        state.sku, fact.event_id, fact.location, fact.on_hand, fact.as_of, updated.on_hand, stock.on_hand)
    return with_stock(state, updated), (drift,)


def move_between_statuses(state: SkuInventory, fact: StatusMoved, policy: InventoryPolicy) -> Outcome:
    stock = move_status(stock_at(state, fact.location), fact.quantity, fact.from_status, fact.to_status)
    return with_stock(state, stock), ()


def expect(state: SkuInventory, fact: SupplyExpected, policy: InventoryPolicy) -> Outcome:
    stock = stock_at(state, fact.location)
    latest = fact.occurred_at if state.as_of is None else max(fact.occurred_at, state.as_of)
    incoming = expect_supply(
        stock.incoming, fact.po_line_id, fact.quantity, fact.status, fact.occurred_at,
        forget_before=latest - policy.dedupe_window_ms)
    if incoming is None:
        reason = f"PO line {fact.po_line_id} already has a more recent figure from the ERP"
        return with_stock(state, stock), (StaleFactIgnored(state.sku, fact.event_id, fact.location, reason),)
    return with_stock(state, evolve(stock, incoming=incoming)), ()


def receive_return(state: SkuInventory, fact: ReturnReceived, policy: InventoryPolicy) -> Outcome:
    stock = _moved(state, fact.location, fact.quantity, fact.occurred_at, policy)
    stock = evolve(stock, quality_control=stock.quality_control + fact.quantity)
    return with_stock(state, stock), ()


def disposition_return(state: SkuInventory, fact: ReturnDispositioned, policy: InventoryPolicy) -> Outcome:
    """Units leave quality control; restocked ones become sellable, scrapped ones leave on hand too."""
    stock = stock_at(state, fact.location)
    stock = evolve(stock, quality_control=stock.quality_control - min(fact.quantity, stock.quality_control))
    if fact.disposition == Disposition.SCRAP:
        stock = move_physically(stock, -fact.quantity, fact.occurred_at, policy.max_recent_movements)
    return with_stock(state, stock), ()
