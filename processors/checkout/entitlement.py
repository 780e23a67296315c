"""May this customer buy at all (the cart), and may it buy this SKU (the line)? Reasons, not booleans.

Cart-level reasons block every line: an unknown customer, an account that is not active, a credit hold, a channel
the account may not order on. Line-level reasons block one line: an unknown or inactive SKU, a SKU outside the
account's allow-lists (by SKU or by the item's category).
"""
from __future__ import annotations

from enum import Enum

from processors.checkout.values import AccountStatus, CustomerAccount, ItemMaster


class Reason(str, Enum):
    UNKNOWN_CUSTOMER = "unknown_customer"
    ACCOUNT_SUSPENDED = "account_suspended"
    ACCOUNT_CLOSED = "account_closed"
    CREDIT_HOLD = "credit_hold"
    CHANNEL_NOT_ALLOWED = "channel_not_allowed"
    OVER_CREDIT_LIMIT = "over_credit_limit"
    UNKNOWN_SKU = "unknown_sku"
    INACTIVE_SKU = "inactive_sku"
    NOT_ENTITLED = "not_entitled"
    NO_PRICE = "no_price"


CART_LEVEL = frozenset({Reason.UNKNOWN_CUSTOMER, Reason.ACCOUNT_SUSPENDED, Reason.ACCOUNT_CLOSED,
                        Reason.CREDIT_HOLD, Reason.CHANNEL_NOT_ALLOWED, Reason.OVER_CREDIT_LIMIT})

EXPLANATIONS = {
    Reason.UNKNOWN_CUSTOMER: "the ERP has published no account for this customer",
    Reason.ACCOUNT_SUSPENDED: "the customer's account is suspended",
    Reason.ACCOUNT_CLOSED: "the customer's account is closed",
    Reason.CREDIT_HOLD: "the customer's account is on credit hold",
    Reason.CHANNEL_NOT_ALLOWED: "the customer may not order on this channel",
    Reason.OVER_CREDIT_LIMIT: "the cart would take the customer's exposure over its credit limit",
    Reason.UNKNOWN_SKU: "the ERP's item master has no such SKU",
    Reason.INACTIVE_SKU: "the SKU is inactive in the item master",
    Reason.NOT_ENTITLED: "the customer's account does not allow this SKU or its category",
    Reason.NO_PRICE: "no price list, group or contract price applies to this customer and quantity now",
}


def account_reasons(account: CustomerAccount | None, channel: str | None) -> list[Reason]:
    """Why this customer cannot buy anything now (empty: it can)."""
    if account is None:
        return [Reason.UNKNOWN_CUSTOMER]
    reasons = []
    if account.status is AccountStatus.SUSPENDED:
        reasons.append(Reason.ACCOUNT_SUSPENDED)
    elif account.status is AccountStatus.CLOSED:
        reasons.append(Reason.ACCOUNT_CLOSED)
    if account.credit_hold:
        reasons.append(Reason.CREDIT_HOLD)
    if channel is not None and channel not in account.channels:
        reasons.append(Reason.CHANNEL_NOT_ALLOWED)
    return reasons


def item_reasons(item: ItemMaster | None, account: CustomerAccount | None) -> list[Reason]:
    """Why this SKU cannot be sold to this customer (empty: it can, as far as the item and entitlements go)."""
    if item is None:
        return [Reason.UNKNOWN_SKU]
    reasons = [] if item.active else [Reason.INACTIVE_SKU]
    if account is not None and not is_entitled(account, item):
        reasons.append(Reason.NOT_ENTITLED)
    return reasons


def is_entitled(account: CustomerAccount, item: ItemMaster) -> bool:
    if not account.restricted:
        return True
    if account.allowed_skus is not None and item.sku in account.allowed_skus:
        return True
    return (account.allowed_categories is not None and item.category is not None
            and item.category in account.allowed_categories)
