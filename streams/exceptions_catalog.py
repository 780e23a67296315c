"""The catalog of business exceptions: type → owning team, severity, allowed actions. One place, routable."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExceptionType:
    name: str
    owner_team: str
    severity: str  # info | warning | critical
    actions: tuple[str, ...]
    meaning: str


EXCEPTION_TYPES: dict[str, ExceptionType] = {t.name: t for t in (
    ExceptionType("invalid_event", "integration-support", "warning", ("replay", "dismiss"),
                  "a source event failed decoding or validation and was dead-lettered"),
    ExceptionType("unknown_sku", "customer-service", "warning", ("resolve", "dismiss"),
                  "an order line names a SKU the inventory has never seen; the order is on hold"),
    ExceptionType("shortfall", "inventory-control", "critical", ("resolve",),
                  "claims exceed sellable stock at a location (stock was lost after it was promised)"),
    ExceptionType("inventory_drift", "inventory-control", "warning", ("approve", "resolve"),
                  "the ERP's on hand disagrees with the WMS movements; the ERP figure was applied"),
    ExceptionType("claim_mismatch", "integration-support", "warning", ("resolve", "dismiss"),
                  "units left a location for an order line that did not hold them there"),
    ExceptionType("stale_fact", "integration-support", "info", ("dismiss",),
                  "a fact older than the state it would change was ignored"),
    ExceptionType("erp_rejected", "customer-service", "warning", ("resolve",),
                  "the ERP rejected the order; everything it reserved was released"),
    ExceptionType("credit_hold_timeout", "customer-service", "warning", ("resolve",),
                  "a credit hold was not released in time: the order was cancelled and its stock released"),
    ExceptionType("late_cancellation", "customer-service", "warning", ("resolve", "dismiss"),
                  "the warehouse refused a cancellation (the units had left): arrange a return"),
    ExceptionType("illegal_transition", "integration-support", "critical", ("resolve", "dismiss"),
                  "an event would move an order where the transition table does not allow: not applied"),
    ExceptionType("sla_breach_acceptance", "customer-service", "warning", ("resolve", "dismiss"),
                  "the ERP did not accept or reject the order within the acceptance SLA"),
    ExceptionType("sla_breach_allocation", "inventory-control", "warning", ("resolve", "dismiss"),
                  "an accepted order was not fully allocated within the allocation SLA"),
    ExceptionType("sla_breach_shipment", "inventory-control", "warning", ("resolve", "dismiss"),
                  "a warehouse did not confirm shipment within the shipment SLA"),
    ExceptionType("held_fact_expired", "integration-support", "warning", ("replay", "dismiss"),
                  "an event waited for the state it refers to (e.g. a shipment before its order) and timed out"),
    ExceptionType("duplicate_order_conflict", "integration-support", "critical", ("resolve", "dismiss"),
                  "an order id was placed again with different content: the second one was dead-lettered"),
    ExceptionType("rma_refused", "customer-service", "info", ("resolve", "dismiss"),
                  "the ERP refused a return request: tell the customer why"),
    ExceptionType("sla_breach_return", "customer-service", "warning", ("resolve", "dismiss"),
                  "a return was not completed (credited or refused) within the return-completion SLA"),
    ExceptionType("delivery_exception", "customer-service", "info", ("resolve", "dismiss"),
                  "a carrier reported a delivery exception, a failed attempt or a return to sender"),
)}


def exception_record(exception_type: str, subject_type: str, subject_id: str, caused_by: str, correlation_id: str,
                     now_ms: int, reason: str, details: dict[str, str]) -> dict[str, object]:
    kind = EXCEPTION_TYPES[exception_type]
    exception_id = f"{exception_type}:{caused_by}:{subject_id}"
    return {
        "envelope": {"event_id": exception_id, "event_type": "ExceptionRaised", "source": "distflow",
                     "correlation_id": correlation_id, "causation_id": caused_by, "occurred_at": now_ms,
                     "produced_at": now_ms},
        "exception_id": exception_id, "exception_type": exception_type, "owner_team": kind.owner_team,
        "severity": kind.severity, "reason": reason, "subject_type": subject_type, "subject_id": subject_id,
        "details": details,
    }
