"""Incoming supply per purchase-order line: the ERP's absolute figure minus the receipts confirmed after it.

The same base-plus-later-deltas rule as on hand (docs/inventory-model.md): an ERP figure as of T includes the
receipts before T; receipts after T are subtracted from it, whatever order the two arrive in.
"""
from __future__ import annotations

from dataclasses import dataclass

from processors.inventory.facts import SupplyStatus
from processors.values import fast_init


@fast_init
@dataclass(frozen=True, slots=True)
class Receipt:
    occurred_at: int
    quantity: int


@fast_init
@dataclass(frozen=True, slots=True)
class IncomingLine:
    po_line_id: str
    open_quantity: int = 0
    as_of: int | None = None  # event time of the ERP figure it is based on (None: no figure yet)
    receipts: tuple[Receipt, ...] = ()  # confirmed after as_of
    closed: bool = False

    def is_stale(self, at: int) -> bool:
        return self.as_of is not None and at < self.as_of


def incoming_total(lines: tuple[IncomingLine, ...]) -> int:
    return sum(line.open_quantity for line in lines)


def _line(lines: tuple[IncomingLine, ...], po_line_id: str) -> IncomingLine:
    for line in lines:
        if line.po_line_id == po_line_id:
            return line
    return IncomingLine(po_line_id)


def _with_line(lines: tuple[IncomingLine, ...], line: IncomingLine) -> tuple[IncomingLine, ...]:
    others = tuple(other for other in lines if other.po_line_id != line.po_line_id)
    return tuple(sorted((*others, line), key=lambda kept: kept.po_line_id))


def expect_supply(
    lines: tuple[IncomingLine, ...], po_line_id: str, quantity: int, status: SupplyStatus, at: int, forget_before: int
) -> tuple[IncomingLine, ...] | None:
    """Lines with the ERP's new figure for one PO line; None if an ERP figure at least as recent is already in."""
    line = _line(lines, po_line_id)
    if line.is_stale(at):
        return None
    later = tuple(receipt for receipt in line.receipts if receipt.occurred_at > at)
    is_open = status == SupplyStatus.OPEN
    open_quantity = max(0, quantity - sum(receipt.quantity for receipt in later)) if is_open else 0
    updated = IncomingLine(po_line_id, open_quantity, at, later, closed=not is_open)
    kept = tuple(other for other in lines if not _closed_before(other, forget_before))
    return _with_line(kept, updated)


def _closed_before(line: IncomingLine, moment: int) -> bool:
    return line.closed and line.as_of is not None and line.as_of < moment


def receive_against(
    lines: tuple[IncomingLine, ...], po_line_id: str, quantity: int, at: int
) -> tuple[IncomingLine, ...]:
    line = _line(lines, po_line_id)
    if line.as_of is not None and at <= line.as_of:
        return lines  # already included in the ERP's figure
    receipts = (*line.receipts, Receipt(at, quantity))
    updated = IncomingLine(po_line_id, max(0, line.open_quantity - quantity), line.as_of, receipts, line.closed)
    return _with_line(lines, updated)
