"""OpenAPI pieces of the checkout routes (merged into the document by streams.api.openapi)."""
from __future__ import annotations

from typing import Any

from streams.api.checkout import CHECKOUT_VALIDATE, MAX_CART_LINES, MAX_QUANTITY, PRICES_READ
from streams.readmodel.keys import CUSTOMER_PATTERN
from topics.identifiers import SKU_PATTERN

SCOPES = {PRICES_READ: "read the price a customer pays", CHECKOUT_VALIDATE: "validate a cart before checkout"}
_SKU = {"type": "string", "pattern": f"^{SKU_PATTERN.pattern}$"}
_CUSTOMER = {"type": "string", "pattern": f"^{CUSTOMER_PATTERN.pattern}$"}
_MS = {"type": ["integer", "null"], "description": "milliseconds since the Unix epoch (event time); null: none"}
_MONEY = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "description": "decimal as a string"}
_REASONS = {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}}

PARAMETERS: dict[str, dict[str, Any]] = {
    "customer": {"name": "customer", "in": "query", "required": True, "schema": _CUSTOMER, "example": "C-1001",
                 "description": "the customer whose contract, group and price list apply"},
    "qty": {"name": "qty", "in": "query", "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY, "default": 1},
            "description": "quantity ordered: picks the quantity break"},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Reason": {"type": "object", "required": ["code", "detail"], "properties": {
        "code": {"enum": ["unknown_customer", "account_suspended", "account_closed", "credit_hold",
                          "channel_not_allowed", "over_credit_limit", "unknown_sku", "inactive_sku",
                          "not_entitled", "no_price"]},
        "detail": {"type": "string"}}},
    "Price": {"type": "object", "required": ["unit_price", "currency", "line_total", "rule", "price_id",
                                             "valid_until", "valid_until_ms", "as_of_ms"], "properties": {
        "unit_price": _MONEY, "currency": {"type": "string"}, "line_total": _MONEY,
        "rule": {"enum": ["CUSTOMER_CONTRACT", "CUSTOMER_GROUP", "PRICE_LIST"],
                 "description": "which rule gave the price: contract beats group beats list"},
        "price_id": {"type": "string"}, "scope_id": {"type": "string"}, "contract_id": {"type": ["string", "null"]},
        "break_min_quantity": {"type": "integer", "minimum": 1}, "valid_from_ms": {"type": "integer"},
        "valid_until": {"type": ["string", "null"], "format": "date-time",
                        "description": "when time alone may change this price (its window ends or a price of the "
                                       "same or a stronger rule starts); null: no known change"},
        "valid_until_ms": _MS, "as_of_ms": {"type": "integer", "description": "ERP time of the price entry"}}},
    "PriceAnswer": {"type": "object", "required": ["sku", "customer", "quantity", "priced", "price", "reasons",
                                                   "at_ms", "as_of"], "properties": {
        "sku": _SKU, "customer": _CUSTOMER, "quantity": {"type": "integer"}, "priced": {"type": "boolean"},
        "price": {"oneOf": [{"$ref": "#/components/schemas/Price"}, {"type": "null"}]}, "reasons": _REASONS,
        "at": {"type": "string", "format": "date-time"}, "at_ms": {"type": "integer"},
        "as_of": {"type": "object", "properties": {"item_ms": _MS, "account_ms": _MS, "price_ms": _MS}}}},
    "PriceNotFound": {"allOf": [{"$ref": "#/components/schemas/Error"}, {
        "type": "object", "properties": {"customer": _CUSTOMER, "sku": _SKU}}]},
    "Cart": {"type": "object", "required": ["customer", "lines"], "additionalProperties": False, "properties": {
        "customer": _CUSTOMER,
        "channel": {"type": "string", "description": "the sales channel (entitlement; with DISTFLOW_API_CHANNELS "
                                                     "also the locations counted for availability)"},
        "lines": {"type": "array", "minItems": 1, "maxItems": MAX_CART_LINES, "items": {
            "type": "object", "required": ["sku", "quantity"], "additionalProperties": False, "properties": {
                "line_id": {"type": "string", "description": "default: the line's position, from 1"},
                "sku": _SKU, "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}}}}},
        "example": {"customer": "C-1001", "channel": "web",
                    "lines": [{"line_id": "1", "sku": "SKU-00001", "quantity": 2}]}},
    "CartLineAnswer": {"type": "object", "required": ["line_id", "sku", "quantity", "purchasable", "reasons",
                                                      "price", "availability", "as_of"], "properties": {
        "line_id": {"type": "string"}, "sku": _SKU, "quantity": {"type": "integer"},
        "purchasable": {"type": "boolean"}, "reasons": _REASONS,
        "price": {"oneOf": [{"$ref": "#/components/schemas/Price"}, {"type": "null"}]},
        "availability": {"type": "object", "required": ["status", "available", "from_locations"], "properties": {
            "status": {"enum": ["IN_STOCK", "PARTIAL", "OUT_OF_STOCK", "UNKNOWN", "FROM_SUPPLIER"]},
            "sourcing": {"enum": ["STOCKED", "SPECIAL_ORDER", "DROP_SHIP", None]},
            "available": {"type": ["integer", "null"]},
            "from_locations": {"type": "array", "items": {"type": "object", "properties": {
                "location": {"type": "string"}, "available": {"type": "integer"}}}},
            "supplier_id": {"type": ["string", "null"]}, "lead_time_days": {"type": ["integer", "null"]}}},
        "as_of": {"type": "object", "properties": {"item_ms": _MS, "price_ms": _MS, "availability_ms": _MS}}}},
    "CartAnswer": {"type": "object", "required": ["customer", "verdict", "cart_reasons", "lines", "at_ms", "as_of"],
                   "properties": {
        "customer": _CUSTOMER, "channel": {"type": ["string", "null"]},
        "verdict": {"enum": ["ACCEPTABLE", "BLOCKED"], "description": "BLOCKED when any line is not purchasable"},
        "cart_reasons": _REASONS, "lines": {"type": "array", "items": {"$ref": "#/components/schemas/CartLineAnswer"}},
        "total": {"oneOf": [_MONEY, {"type": "null"}]}, "currency": {"type": ["string", "null"]},
        "at": {"type": "string", "format": "date-time"}, "at_ms": {"type": "integer"},
        "as_of": {"type": "object", "properties": {"account_ms": _MS}}}},
}
