"""The checkout read model's facts, as the ERP states them: item master, price entries, customer accounts.

Every value carries a Stamp (the ERP's event time and the event id): the newer stamp wins, so applying the same
updates in any order, or twice, gives the same state. Money is a Decimal, never a float.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from processors.values import fast_init


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class Stamp:
    """When the ERP stated a value (its clock), and the event that carried it (a tie-break: a total order)."""

    as_of_ms: int
    event_id: str


class Sourcing(str, Enum):
    STOCKED = "STOCKED"  # sold from our warehouses' stock
    SPECIAL_ORDER = "SPECIAL_ORDER"  # bought from the supplier for this order, received, then shipped
    DROP_SHIP = "DROP_SHIP"  # the supplier ships straight to the customer


@fast_init
@dataclass(frozen=True, slots=True)
class ItemMaster:
    sku: str
    description: str
    unit_of_measure: str
    category: str | None
    sourcing: Sourcing
    supplier_id: str | None
    lead_time_days: int | None
    active: bool
    stamp: Stamp


class PriceRule(str, Enum):
    """Which kind of price answered, most specific first: a customer's contract beats its group beats the list."""

    CUSTOMER_CONTRACT = "CUSTOMER_CONTRACT"
    CUSTOMER_GROUP = "CUSTOMER_GROUP"
    PRICE_LIST = "PRICE_LIST"

    @property
    def precedence(self) -> int:
        return RULE_ORDER.index(self)


RULE_ORDER = (PriceRule.CUSTOMER_CONTRACT, PriceRule.CUSTOMER_GROUP, PriceRule.PRICE_LIST)


@fast_init
@dataclass(frozen=True, slots=True)
class PriceBreak:
    min_quantity: int  # this unit price applies from this many units up
    unit_price: Decimal


@fast_init
@dataclass(frozen=True, slots=True)
class PriceEntry:
    """One price of one SKU for one scope (a price list, a customer group or a customer), valid in a window.

    The window is [valid_from_ms, valid_to_ms): valid_to_ms None means open-ended. A withdrawn entry is kept (with
    its stamp) so that an older update of it can never bring it back.
    """

    price_id: str
    sku: str
    rule: PriceRule
    scope_id: str  # price list id, customer group, or customer id (by rule)
    currency: str
    breaks: tuple[PriceBreak, ...]  # sorted by min_quantity, at least one
    valid_from_ms: int
    valid_to_ms: int | None
    withdrawn: bool
    contract_id: str | None
    stamp: Stamp

    def valid_at(self, at_ms: int) -> bool:
        return (not self.withdrawn and self.valid_from_ms <= at_ms
                and (self.valid_to_ms is None or at_ms < self.valid_to_ms))

    def unit_price_for(self, quantity: int) -> PriceBreak | None:
        """The highest quantity break at or below the quantity; None when the quantity is below every break."""
        chosen = None
        for price_break in self.breaks:
            if price_break.min_quantity <= quantity and (chosen is None or
                                                          price_break.min_quantity > chosen.min_quantity):
                chosen = price_break
        return chosen


class AccountStatus(str, Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


@fast_init
@dataclass(frozen=True, slots=True)
class CustomerAccount:
    """What a customer may buy, where and at which prices.

    allowed_skus / allowed_categories: None means no restriction of that kind; when either is given, a SKU is
    entitled if it is listed or its category is listed. channels: the sales channels the customer may order on.
    """

    customer_id: str
    status: AccountStatus
    credit_hold: bool
    price_list_id: str
    customer_group: str | None
    channels: frozenset[str]
    allowed_skus: frozenset[str] | None
    allowed_categories: frozenset[str] | None
    currency: str | None
    credit_limit: Decimal | None
    credit_exposure: Decimal | None
    stamp: Stamp

    @property
    def restricted(self) -> bool:
        return self.allowed_skus is not None or self.allowed_categories is not None


@fast_init
@dataclass(frozen=True, slots=True)
class Availability:
    """Available to promise of a SKU as the availability snapshot states it (read, never decided, here)."""

    total: int
    locations: tuple[tuple[str, int], ...]  # (location, available), sorted
    as_of_ms: int
