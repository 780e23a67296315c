"""The pure order model and saga of one order: facts in, a new Order and decisions out (standard library only).

Start at apply.py; docs/order-model.md explains the statuses, the transition tables, the flows and the guarantees.
"""
from processors.orders.apply import apply, apply_all
from processors.orders.bridge import inventory_fact, order_fact, unknown_sku_answer
from processors.orders.decisions import (
    AllocateLine, CancelAllocation, DeadlineCleared, DeadlineSet, DuplicateIgnored, ErpCommand, ErpCommandKind,
    ErpLine, ErpPriority, FactHeld, FactIgnored, FulfilmentCancelRequested, FulfilmentItem, FulfilmentRequested,
    OrderDecision, OrderException, OrderExceptionType, OrderStatusChanged, ReleaseLine, ReserveLine)
from processors.orders.facts import (
    AnswerStatus, CancellationRequested, CarrierStatus, DeadlineKind, DeadlineReached, ErpDecision, ErpVerdict,
    FulfilmentCancelAnswered, FulfilmentKind, OrderFact, OrderPlaced, PickShort, PlacedLine, ReservationAnswer,
    ReturnedLine, ReturnRecorded, ShipmentConfirmed, ShippedLine, TrackingMilestone, deadline_reached,
    CreditMemoIssued, Disposition, ReceivedLine, ReturnGoodsReceived, ReturnRequested, RmaDecided)
from processors.orders.policy import OrderPolicy, OrderSlas, SourcingPolicy
from processors.orders.records import fact_from_record, fact_to_record, from_record, to_record
from processors.orders.state import (
    CancelState, Deadline, Fulfilment, FulfilmentLine, HeldFact, Order, OrderLine, ReturnCase, ReturnStatus,
    Shipment, ShipmentLine,
    StockClaim, TimelineEntry, TrackingFlag, claims_by_sku, is_placed, new_order)
from processors.orders.status import (
    ACCEPTANCE_TRANSITIONS, STATUS_TRANSITIONS, TERMINAL, Acceptance, OrderStatus, derive_status)

__all__ = [
    "ACCEPTANCE_TRANSITIONS", "Acceptance", "CreditMemoIssued", "Disposition", "ReceivedLine", "ReturnCase",
    "ReturnGoodsReceived", "ReturnRequested", "ReturnStatus", "RmaDecided", "AllocateLine", "AnswerStatus", "CancelAllocation", "CancelState",
    "CancellationRequested", "CarrierStatus", "Deadline", "DeadlineCleared", "DeadlineKind", "DeadlineReached",
    "DeadlineSet", "DuplicateIgnored", "ErpCommand", "ErpCommandKind", "ErpDecision", "ErpLine", "ErpPriority",
    "ErpVerdict",
    "FactHeld", "FactIgnored", "Fulfilment", "FulfilmentCancelAnswered", "FulfilmentCancelRequested",
    "FulfilmentItem", "FulfilmentKind", "FulfilmentLine", "FulfilmentRequested", "HeldFact", "Order",
    "OrderDecision", "OrderException", "OrderExceptionType", "OrderFact", "OrderLine", "OrderPlaced",
    "OrderPolicy", "OrderSlas", "OrderStatus", "OrderStatusChanged", "PickShort", "PlacedLine", "ReleaseLine",
    "ReservationAnswer", "ReserveLine", "ReturnRecorded", "ReturnedLine", "STATUS_TRANSITIONS", "Shipment",
    "ShipmentConfirmed", "ShipmentLine", "ShippedLine", "SourcingPolicy", "StockClaim", "TERMINAL",
    "TimelineEntry", "TrackingFlag", "TrackingMilestone", "apply", "apply_all", "claims_by_sku",
    "deadline_reached", "derive_status", "fact_from_record", "fact_to_record", "from_record", "inventory_fact",
    "is_placed", "new_order", "order_fact", "to_record", "unknown_sku_answer",
]
