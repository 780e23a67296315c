"""The pure checkout model: item master, prices and customer accounts (newest stamp wins), the price a customer
pays, what it may buy, and one verdict for a cart (standard library only). See docs/checkout.md.
"""
from processors.checkout.cart import (Cart, CartAnswer, CartLine, LineAnswer, StockStatus, Supply, Verdict,
                                      supply_for, validate_cart)
from processors.checkout.entitlement import (CART_LEVEL, EXPLANATIONS, Reason, account_reasons, is_entitled,
                                             item_reasons)
from processors.checkout.pricing import PriceQuote, resolve_price
from processors.checkout.records import (account_from_record, account_to_record, item_from_record, item_to_record,
                                         price_from_record, price_to_record)
from processors.checkout.updates import apply_all, is_newer, newer
from processors.checkout.values import (RULE_ORDER, AccountStatus, Availability, CustomerAccount, ItemMaster,
                                        PriceBreak, PriceEntry, PriceRule, Sourcing, Stamp)

__all__ = [
    "CART_LEVEL", "EXPLANATIONS", "RULE_ORDER", "AccountStatus", "Availability", "Cart", "CartAnswer", "CartLine",
    "CustomerAccount", "ItemMaster", "LineAnswer", "PriceBreak", "PriceEntry", "PriceQuote", "PriceRule", "Reason",
    "Sourcing", "Stamp", "StockStatus", "Supply", "Verdict", "account_from_record", "account_reasons",
    "account_to_record", "apply_all", "is_entitled", "is_newer", "item_from_record", "item_reasons",
    "item_to_record", "newer", "price_from_record", "price_to_record", "resolve_price", "supply_for",
    "validate_cart",
]
