"""Commerce, ERP, WMS and carrier order events → order facts for the order's owner (internal/order_command).

Each translator validates what the pure model cannot (envelope, ids, quantities) and raises Invalid with a reason
code; the model's own constructors raise ValueError for impossible values. Either way intake dead-letters the
record with the reason, so nothing reaches the saga half-understood.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson

from processors import orders as o
from processors.orders.records import fact_to_record
from streams.translate.validation import Invalid, check_envelope, check_location, check_quantity, check_sku

Record = dict[str, object]
FACT_FORMAT = 1


@dataclass(frozen=True)
class OrderCommand:
    """One internal command: the order id is the key (the owner's partition), the record internal/order_command."""

    order_id: str
    record: Record


def order_command(source: Record, fact: o.OrderFact) -> OrderCommand:
    envelope = dict(source["envelope"])  # type: ignore[call-overload]
    envelope["causation_id"] = envelope["event_id"]
    record: Record = {"envelope": envelope, "order_id": fact.order_id, "fact_type": type(fact).__name__,
                      "fact_format": FACT_FORMAT,
                      "fact_json": orjson.dumps(fact_to_record(fact)).decode()}
    return OrderCommand(fact.order_id, record)


def order_placed(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    customer: Record = event["customer"]  # type: ignore[assignment]
    lines = tuple(_placed_line(line) for line in event["lines"])  # type: ignore[attr-defined]
    fact = o.OrderPlaced(*_head(envelope, event), customer=str(customer["customer_id"]),
                         channel=str(event["channel"]), lines=lines, correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def _placed_line(line: Record) -> o.PlacedLine:
    kind = o.FulfilmentKind(str(line.get("fulfilment_kind") or "STOCKED"))
    supplier = line.get("supplier_id")
    if kind is not o.FulfilmentKind.STOCKED and not supplier:
        raise Invalid("missing_supplier", f"line {line['line_id']}: a {kind} line needs a supplier_id")
    return o.PlacedLine(str(line["line_id"]), check_sku(line["sku"]), check_quantity(line["quantity"], "quantity"),
                        kind, str(supplier) if supplier else None)


def cancellation_requested(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    fact = o.CancellationRequested(*_head(envelope, event), line_ids=tuple(event.get("line_ids") or ()),  # type: ignore[arg-type]
                                   reason=str(event.get("reason") or ""),
                                   correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def order_decision(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    fact = o.ErpDecision(*_head(envelope, event), verdict=o.ErpVerdict(str(event["decision"])),
                         reason=str(event.get("reason") or ""), correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def fulfilment_cancel_answered(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    fact = o.FulfilmentCancelAnswered(*_head(envelope, event), fulfilment_id=str(event["fulfilment_id"]),
                                      accepted=bool(event["accepted"]), reason=str(event.get("reason") or ""),
                                      correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def shipment_confirmed(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    lines = tuple(o.ShippedLine(str(line["line_id"]), check_quantity(line["quantity"], "quantity"))
                  for line in event["lines"])  # type: ignore[attr-defined]
    fact = o.ShipmentConfirmed(*_head(envelope, event), shipment_id=str(event["shipment_id"]),
                               location=check_location(event["location"]), lines=lines,
                               fulfilment_id=str(event.get("fulfilment_id") or "") or None,
                               carrier=str(event.get("carrier") or ""),
                               tracking_number=str(event.get("tracking_number") or ""),
                               correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def tracking_milestone(event: Record, now_ms: int) -> list[OrderCommand]:
    """Applied at the carrier's milestone time, not when the carrier's feed delivered it."""
    envelope = _checked(event, now_ms)
    fact = o.TrackingMilestone(str(envelope["event_id"]), int(event["milestone_at"]),  # type: ignore[call-overload]
                               _order_id(event), shipment_id=str(event["shipment_id"]),
                               status=o.CarrierStatus(str(event["milestone"])),
                               detail=str(event.get("detail") or ""), correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def return_requested(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    lines = tuple(o.ReturnedLine(str(line["line_id"]), check_quantity(line["quantity"], "quantity"))
                  for line in event["lines"])  # type: ignore[attr-defined]
    fact = o.ReturnRequested(*_head(envelope, event), return_id=_return_id(event), lines=lines,
                             correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def rma_decision(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    fact = o.RmaDecided(*_head(envelope, event), return_id=_return_id(event),
                        authorised=event["decision"] == "AUTHORISED", reason=str(event.get("reason") or ""),
                        correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def return_received(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    lines = tuple(o.ReceivedLine(str(line["line_id"]), check_quantity(line["quantity"], "quantity"),
                                 o.Disposition(str(line.get("disposition") or "PENDING_INSPECTION")))
                  for line in event["lines"])  # type: ignore[attr-defined]
    fact = o.ReturnGoodsReceived(*_head(envelope, event), return_id=_return_id(event),
                                 location=check_location(event["location"]), lines=lines,
                                 correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def credit_memo_issued(event: Record, now_ms: int) -> list[OrderCommand]:
    envelope = _checked(event, now_ms)
    fact = o.CreditMemoIssued(*_head(envelope, event), return_id=_return_id(event),
                              credit_memo_id=str(event["credit_memo_id"]),
                              correlation_id=str(envelope["correlation_id"]))
    return [order_command(event, fact)]


def _return_id(event: Record) -> str:
    return_id = str(event.get("return_id") or "").strip()
    if not return_id:
        raise Invalid("missing_return_id", "the event names no return_id")
    return return_id


def _checked(event: Record, now_ms: int) -> Record:
    envelope: Record = event["envelope"]  # type: ignore[assignment]
    check_envelope(envelope, now_ms)
    return envelope


def _head(envelope: Record, event: Record) -> tuple[str, int, str]:
    return str(envelope["event_id"]), int(envelope["occurred_at"]), _order_id(event)  # type: ignore[call-overload]


def _order_id(event: Record) -> str:
    order_id = str(event.get("order_id") or "").strip()
    if not order_id:
        raise Invalid("missing_order_id", "the event names no order_id")
    return order_id


Translator = Callable[[Record, int], list[OrderCommand]]
