"""Every topic distflow reads or writes, declared once. Code, docs, Helm and tests refer to these constants."""
from __future__ import annotations

from topics.spec import DAY_MS, Cleanup, Role, System, TopicSpec

D = System.DISTFLOW

# --- commerce (storefronts, marketplaces): the customer's intent -------------------------------------------------
ORDERS = TopicSpec(
    "commerce.orders", Role.SOURCE, "order_id", "commerce/order_placed", System.COMMERCE, (D,),
    "An order placed on a storefront: customer, lines (SKU, quantity, price/contract reference), requested ship-by.")
ORDER_CANCELLATIONS = TopicSpec(
    "commerce.order-cancellations", Role.SOURCE, "order_id", "commerce/order_cancellation_requested",
    System.COMMERCE, (D,), "The customer asks to cancel all or some lines of an order.")
RETURN_REQUESTS = TopicSpec(
    "commerce.return-requests", Role.SOURCE, "return_id", "commerce/return_requested", System.COMMERCE, (D,),
    "The customer asks to return shipped units (RMA request).")

# --- ERP: financial acceptance, credit, authoritative on-hand, supply, RMA, credit memos ---------------------------
ORDER_DECISIONS = TopicSpec(
    "erp.order-decisions", Role.SOURCE, "order_id", "erp/order_decision", System.ERP, (D,),
    "The ERP's answer to an order: accepted, credit hold, credit released or rejected.")
INVOICES = TopicSpec(
    "erp.invoices", Role.SOURCE, "order_id", "erp/invoice_issued", System.ERP, (D,),
    "An invoice issued for shipped lines of an order.")
ON_HAND_SNAPSHOTS = TopicSpec(
    "erp.on-hand-snapshots", Role.SOURCE, "sku", "erp/on_hand_snapshot", System.ERP, (D,),
    "The ERP's authoritative on-hand per SKU and location as of a time; a new base for availability.")
INCOMING_SUPPLY = TopicSpec(
    "erp.incoming-supply", Role.SOURCE, "sku", "erp/supply_expected", System.ERP, (D,),
    "Purchase-order lines expected at a location (incoming, never sold as on hand).")
RMA_DECISIONS = TopicSpec(
    "erp.rma-decisions", Role.SOURCE, "return_id", "erp/rma_decision", System.ERP, (D,),
    "The ERP authorises or refuses a return request.")
CREDIT_MEMOS = TopicSpec(
    "erp.credit-memos", Role.SOURCE, "return_id", "erp/credit_memo_issued", System.ERP, (D,),
    "A credit memo issued for a return.")
ITEM_MASTER = TopicSpec(
    "erp.item-master", Role.SOURCE, "sku", "erp/item_master_changed", System.ERP, (D,),
    "The item master per SKU, whole (description, unit, category, stocked/special-order/drop-ship, supplier and "
    "lead time, active); compacted: the latest record per SKU is the item master.",
    cleanup=Cleanup.COMPACT, retention_ms=None)
PRICES = TopicSpec(
    "erp.prices", Role.SOURCE, "sku", "erp/price_changed", System.ERP, (D,),
    "Price entries per SKU: price lists, customer-group and customer contract prices, quantity breaks, validity "
    "windows.")
CUSTOMER_ACCOUNTS = TopicSpec(
    "erp.customer-accounts", Role.SOURCE, "customer_id", "erp/customer_account_changed", System.ERP, (D,),
    "Customer accounts, whole: status, credit hold and limit, price list and group, channels and the SKUs or "
    "categories the customer may buy; compacted: the latest record per customer is the account.",
    cleanup=Cleanup.COMPACT, retention_ms=None)

# --- WMS: physical movements ----------------------------------------------------------------------------------------
INVENTORY_MOVEMENTS = TopicSpec(
    "wms.inventory-movements", Role.SOURCE, "sku", "wms/inventory_movement", System.WMS, (D,),
    "Receipts, adjustments, cycle counts and status moves (available <-> damaged/QC/hold) at a location.")
PICKS = TopicSpec(
    "wms.picks", Role.SOURCE, "order_id", "wms/pick_confirmed", System.WMS, (D,),
    "Pick confirmations for a fulfilment request, with any short-picked quantity.")
SHIPMENTS = TopicSpec(
    "wms.shipments", Role.SOURCE, "order_id", "wms/shipment_confirmed", System.WMS, (D,),
    "Ship confirmations: what left which location for an order, with the carrier's tracking number.")
FULFILMENT_CANCELLATIONS = TopicSpec(
    "wms.fulfilment-cancellations", Role.SOURCE, "order_id", "wms/fulfilment_cancel_answered", System.WMS, (D,),
    "The warehouse accepts or refuses a cancellation request (refused: the units already left).")
RETURN_RECEIPTS = TopicSpec(
    "wms.return-receipts", Role.SOURCE, "return_id", "wms/return_received", System.WMS, (D,),
    "Returned units received into quality control, and their disposition (restock or scrap).")

# --- carriers ---------------------------------------------------------------------------------------------------------
TRACKING = TopicSpec(
    "carrier.tracking", Role.SOURCE, "shipment_id", "carrier/tracking_milestone", System.CARRIER, (D,),
    "Carrier milestones for a shipment (label created ... delivered, exceptions), late and out of order.")

# --- derived: what distflow publishes ----------------------------------------------------------------------------------
AVAILABILITY_CHANGES = TopicSpec(
    "distflow.availability-changes", Role.DERIVED, "sku", "pipeline/availability_changed", D,
    (System.COMMERCE, System.OPERATIONS),
    "Available-to-promise of a SKU changed (network total and per location); emitted only on a change.")
AVAILABILITY_SNAPSHOT = TopicSpec(
    "distflow.availability-snapshot", Role.DERIVED, "sku", "pipeline/availability_changed", D,
    (System.COMMERCE,), "Latest availability per SKU (compacted): a consumer can bootstrap its own read model.",
    cleanup=Cleanup.COMPACT, retention_ms=None)
ORDER_STATUS = TopicSpec(
    "distflow.order-status", Role.DERIVED, "order_id", "pipeline/order_status_changed", D,
    (System.CUSTOMER_PORTAL, System.COMMERCE), "Every change of an order's status, with its correlation id.")
FULFILMENT_REQUESTS = TopicSpec(
    "distflow.fulfilment-requests", Role.DERIVED, "order_id", "pipeline/fulfilment_requested", D, (System.WMS,),
    "One request per (order, location) for the warehouse to pick and ship; also cancellation requests.")
ERP_COMMANDS = TopicSpec(
    "distflow.erp-commands", Role.DERIVED, "order_id", "pipeline/erp_command", D, (System.ERP,),
    "Commands to the ERP (accept order, purchase order for supplier lines), rate-limited, checkout-critical first.")
EXCEPTIONS = TopicSpec(
    "distflow.exceptions", Role.DERIVED, "exception_id", "pipeline/exception_raised", D, (System.OPERATIONS,),
    "Business exceptions with type, owning team, severity and reason (shortfall, drift, SLA breach ...).",
    retention_ms=30 * DAY_MS)
EXCEPTION_AUDIT = TopicSpec(
    "distflow.exception-audit", Role.DERIVED, "exception_id", "pipeline/exception_audit", D, (System.OPERATIONS,),
    "Every step in the life of a business exception (raised, claimed, released, resolved, dismissed) and every "
    "refused operator action: who, when, what, note.", retention_ms=365 * DAY_MS)
DEAD_LETTERS = TopicSpec(
    "distflow.dead-letters", Role.DERIVED, "original key", "pipeline/dead_letter", D, (System.OPERATIONS,),
    "Records that could not be decoded or validated: original bytes, headers, source position and the reason.",
    retention_ms=30 * DAY_MS)

# --- internal ----------------------------------------------------------------------------------------------------------
INVENTORY_COMMANDS = TopicSpec(
    "distflow.inventory-commands", Role.INTERNAL, "sku", "internal/inventory_command", D, (D,),
    "Validated inventory facts and reservation requests, re-keyed by SKU so the SKU's owner decides alone. A fact "
    "whose SKU is owned by the worker that translated it is applied there in process and not written here "
    "(DISTFLOW_HANDOFF_IN_PROCESS, on by default).")
RESERVATION_RESULTS = TopicSpec(
    "distflow.reservation-results", Role.INTERNAL, "order_id", "internal/reservation_result", D, (D,),
    "The SKU owner's answers to reservation requests, keyed by order for the order saga.")
ORDER_COMMANDS = TopicSpec(
    "distflow.order-commands", Role.INTERNAL, "order_id", "internal/order_command", D, (D,),
    "Validated order facts (placed, ERP decisions, cancellations, shipments, tracking) re-keyed by order id, so the "
    "order's owner decides alone whatever partitioner the source used.")
ORDERS_CHANGELOG = TopicSpec(
    "distflow.orders-by-id-changelog", Role.INTERNAL, "order_id", None, D, (D,),
    "Changelog of the orders_by_id table: the saga's state per order (compact only).",
    cleanup=Cleanup.COMPACT, retention_ms=None)
ERP_OUTBOX_CHANGELOG = TopicSpec(
    "distflow.erp-outbox-changelog", Role.INTERNAL, "command_id", None, D, (D,),
    "Changelog of the erp_outbox table: ERP commands decided but still waiting for the rate limit (compact only).",
    cleanup=Cleanup.COMPACT, retention_ms=None)
OPERATOR_ACTIONS = TopicSpec(
    "distflow.operator-actions", Role.INTERNAL, "exception_id", "internal/operator_action", D, (D,),
    "Operators' actions on exceptions (claim, release, resolve, dismiss, approve) sent through the API, keyed by "
    "exception id for the exception's owner.")
EXCEPTIONS_CHANGELOG = TopicSpec(
    "distflow.exceptions-by-id-changelog", Role.INTERNAL, "exception_id", None, D, (D,),
    "Changelog of the exceptions_by_id table: each exception's lifecycle (open, claimed, resolved, dismissed) "
    "(compact only).", cleanup=Cleanup.COMPACT, retention_ms=None)
INVENTORY_CHANGELOG = TopicSpec(
    "distflow.inventory-by-sku-changelog", Role.INTERNAL, "sku", None, D, (D,),
    "Changelog of the inventory_by_sku table (compact only: a trimmed changelog cannot be restored).",
    cleanup=Cleanup.COMPACT, retention_ms=None)

SOURCE_TOPICS: tuple[TopicSpec, ...] = (
    ORDERS, ORDER_CANCELLATIONS, RETURN_REQUESTS,
    ORDER_DECISIONS, INVOICES, ON_HAND_SNAPSHOTS, INCOMING_SUPPLY, RMA_DECISIONS, CREDIT_MEMOS,
    ITEM_MASTER, PRICES, CUSTOMER_ACCOUNTS,
    INVENTORY_MOVEMENTS, PICKS, SHIPMENTS, FULFILMENT_CANCELLATIONS, RETURN_RECEIPTS,
    TRACKING,
)
DERIVED_TOPICS: tuple[TopicSpec, ...] = (
    AVAILABILITY_CHANGES, AVAILABILITY_SNAPSHOT, ORDER_STATUS, FULFILMENT_REQUESTS, ERP_COMMANDS, EXCEPTIONS,
    EXCEPTION_AUDIT, DEAD_LETTERS,
)
INTERNAL_TOPICS: tuple[TopicSpec, ...] = (
    INVENTORY_COMMANDS, RESERVATION_RESULTS, INVENTORY_CHANGELOG, ORDER_COMMANDS, ORDERS_CHANGELOG, ERP_OUTBOX_CHANGELOG,
    OPERATOR_ACTIONS, EXCEPTIONS_CHANGELOG)
ALL_TOPICS: tuple[TopicSpec, ...] = SOURCE_TOPICS + DERIVED_TOPICS + INTERNAL_TOPICS


def by_name() -> dict[str, TopicSpec]:
    return {spec.name: spec for spec in ALL_TOPICS}
