"""The demo ERP's checkout data: item master, prices and customer accounts, as the ERP would publish them.

`demo_catalog(seed, sku_count, customer_count)` is pure and seeded: the simulator publishes it (an item master record
for every SKU, a list price per SKU with quantity breaks, customer-group and contract prices, an account per
simulated customer), and `distflow dev` derives its sourcing policy file and its banner examples from the same call,
so the item master's DROP_SHIP / SPECIAL_ORDER SKUs and suppliers are exactly the demo's drop-ship routing.

`CheckoutFeed` turns the catalog into ERP records at the simulation's start and, during the run, makes the odd
change an ERP makes: a list or group price moves, a credit hold is set or lifted, an entitlement is removed.
Price windows are offsets from the start, so one contract takes effect minutes into the demo with no new event.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from topics import catalog
from topics.spec import TopicSpec

Record = dict[str, object]
Envelope = Callable[[str, str], Record]  # (event type, source) → envelope, the simulation's clock and ids
Emitted = tuple[TopicSpec, str, Record]

DEMO_CUSTOMERS = 300  # the simulator's default number of customers (CUST-0000 …), each with an account
CURRENCY = "USD"
PRICE_LIST = "LIST-USD"
GROUPS = ("trade", "key-account")
CATEGORIES = ("fasteners", "tools", "electrical", "plumbing", "safety", "lighting")
# supplier → lead time in days; the item master's lead_time_days of a supplier's SKUs is its supplier's
DROP_SHIP_SUPPLIERS = {"SUP-NORDIC": 10, "SUP-ACME": 4, "SUP-RIVERSIDE": 14}
SPECIAL_ORDER_SUPPLIERS = {"SUP-BESPOKE": 21}
DAY_MS = 86_400_000
FUTURE_CONTRACT_MS = 3 * 60_000  # the showcase customer's second contract starts this long into the demo
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DemoItem:
    sku: str
    category: str
    sourcing: str  # STOCKED / SPECIAL_ORDER / DROP_SHIP
    supplier_id: str | None
    lead_time_days: int | None
    active: bool
    list_price: Decimal


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    group: str | None
    channels: tuple[str, ...]
    credit_hold: bool
    allowed_skus: tuple[str, ...] | None
    allowed_categories: tuple[str, ...] | None
    credit_limit: Decimal | None = None
    credit_exposure: Decimal | None = None


@dataclass(frozen=True)
class DemoPrice:
    price_id: str
    sku: str
    scope: str  # PRICE_LIST / CUSTOMER_GROUP / CUSTOMER_CONTRACT
    scope_id: str
    breaks: tuple[tuple[int, Decimal], ...]
    from_offset_ms: int  # valid_from = start + this (negative: already in force at the start)
    to_offset_ms: int | None = None
    contract_id: str | None = None


@dataclass(frozen=True)
class Showcase:
    """What the make-dev banner asks about: a customer with contracts, and SKUs that show each kind of answer."""
    customer_id: str
    contract_sku: str  # a contract price in force from the start (with a quantity break at 10)
    future_contract_sku: str  # list price now, the customer's contract price from FUTURE_CONTRACT_MS on
    list_sku: str  # list / group price only
    drop_ship_sku: str


@dataclass(frozen=True)
class DemoCatalog:
    items: tuple[DemoItem, ...]
    customers: tuple[DemoCustomer, ...]
    prices: tuple[DemoPrice, ...]
    showcase: Showcase

    def item(self, sku: str) -> DemoItem:
        return next(item for item in self.items if item.sku == sku)

    def sourcing_policy(self) -> dict[str, object]:
        """The sourcing-policy.json of the demo (streams/order_policy.py reads it): the same SKUs and suppliers as
        the item master. Special-order suppliers are listed as suppliers too: their parcels never touch our stock."""
        drop_ship = {item.sku: item.supplier_id for item in self.items if item.sourcing == "DROP_SHIP"}
        return {"drop_ship_skus": drop_ship,
                "drop_ship_suppliers": sorted({*DROP_SHIP_SUPPLIERS, *SPECIAL_ORDER_SUPPLIERS}),
                "lead_time_days_by_supplier": {**DROP_SHIP_SUPPLIERS, **SPECIAL_ORDER_SUPPLIERS}}


def sku_name(index: int) -> str:
    return f"SKU-{index:05d}"


def customer_name(index: int) -> str:
    return f"CUST-{index:04d}"


def demo_catalog(seed: int, sku_count: int, customer_count: int, channels: tuple[str, ...]) -> DemoCatalog:
    """The demo ERP's master data for a seed: the same seed gives the same catalog in every process."""
    if sku_count < 10 or customer_count < 4:
        raise ValueError("the demo catalog needs at least 10 SKUs and 4 customers")
    rng = random.Random(f"distflow-demo-checkout-{seed}")
    showcase_skus = {1, 2, 3}  # stocked, active: the banner's examples
    others = [index for index in range(sku_count) if index not in showcase_skus]
    n_drop, n_special = max(2, sku_count * 4 // 100), max(1, sku_count * 2 // 100)
    n_inactive = 1 if sku_count < 100 else 2
    chosen = rng.sample(others, n_drop + n_special + n_inactive)
    drop, special, inactive = (set(chosen[:n_drop]), set(chosen[n_drop:n_drop + n_special]),
                               set(chosen[n_drop + n_special:]))
    items = tuple(_item(rng, index, index in drop, index in special, index not in inactive)
                  for index in range(sku_count))
    customers, showcase_customer = _customers(rng, customer_count, channels, items)
    drop_ship_sku = next(item.sku for item in items if item.sourcing == "DROP_SHIP")
    showcase = Showcase(showcase_customer, sku_name(1), sku_name(2), sku_name(3), drop_ship_sku)
    prices = _prices(rng, items, customers, showcase)
    return DemoCatalog(items, customers, prices, showcase)


def _item(rng: random.Random, index: int, drop_ship: bool, special_order: bool, active: bool) -> DemoItem:
    category = rng.choice(CATEGORIES)
    price = Decimal(rng.randrange(150, 50_000)) / 100
    if drop_ship:
        supplier = rng.choice(sorted(DROP_SHIP_SUPPLIERS))
        return DemoItem(sku_name(index), category, "DROP_SHIP", supplier, DROP_SHIP_SUPPLIERS[supplier], active, price)
    if special_order:
        supplier = rng.choice(sorted(SPECIAL_ORDER_SUPPLIERS))
        return DemoItem(sku_name(index), category, "SPECIAL_ORDER", supplier, SPECIAL_ORDER_SUPPLIERS[supplier],
                        active, price)
    return DemoItem(sku_name(index), category, "STOCKED", None, None, active, price)


def _customers(rng: random.Random, count: int, channels: tuple[str, ...],
               items: tuple[DemoItem, ...]) -> tuple[tuple[DemoCustomer, ...], str]:
    showcase, on_hold = 0, 1 + rng.randrange(count - 1)
    restricted = set(rng.sample([n for n in range(count) if n not in (showcase, on_hold)], max(2, count // 40)))
    customers = []
    for index in range(count):
        group = GROUPS[0] if index == showcase else rng.choice((None, None, *GROUPS))
        if index == showcase or rng.random() < 0.85:
            allowed_channels = tuple(channels)
        else:
            allowed_channels = tuple(sorted(rng.sample(channels, rng.randrange(1, len(channels)))))
        skus = categories = None
        if index in restricted:  # entitlements: some categories, sometimes a few named SKUs besides
            categories = tuple(sorted(rng.sample(CATEGORIES, 2)))
            if rng.random() < 0.5:
                skus = tuple(sorted(item.sku for item in rng.sample(items, 3)))
        limit = exposure = None
        if index not in (showcase, on_hold) and rng.random() < 0.2:
            limit = Decimal(rng.randrange(5, 50) * 1000)
            exposure = (limit * Decimal(rng.randrange(10, 90)) / 100).quantize(CENT)
        customers.append(DemoCustomer(customer_name(index), group, allowed_channels, index == on_hold, skus,
                                      categories, limit, exposure))
    return tuple(customers), customer_name(showcase)


def _prices(rng: random.Random, items: tuple[DemoItem, ...], customers: tuple[DemoCustomer, ...],
            showcase: Showcase) -> tuple[DemoPrice, ...]:
    since = -365 * DAY_MS
    prices = []
    for item in items:
        p = item.list_price
        prices.append(DemoPrice(f"PL-{item.sku}", item.sku, "PRICE_LIST", PRICE_LIST,
                                ((1, p), (10, _pct(p, 95)), (50, _pct(p, 90))), since))
        if item.sku == showcase.future_contract_sku:
            continue  # the list price only, until the showcase contract starts
        if rng.random() < 0.3:
            prices.append(DemoPrice(f"GP-trade-{item.sku}", item.sku, "CUSTOMER_GROUP", "trade",
                                    ((1, _pct(p, 92)),), since))
        if rng.random() < 0.15:
            prices.append(DemoPrice(f"GP-key-account-{item.sku}", item.sku, "CUSTOMER_GROUP", "key-account",
                                    ((1, _pct(p, 88)), (25, _pct(p, 84))), since))
    stocked = [item for item in items if item.active and item.sku not in (
        showcase.contract_sku, showcase.future_contract_sku, showcase.list_sku)]
    for customer in customers:
        if customer.customer_id == showcase.customer_id or rng.random() >= 0.15:
            continue
        contract = f"CT-{customer.customer_id}"
        for n, item in enumerate(rng.sample(stocked, rng.randrange(1, 4))):
            window = rng.random()
            if window < 0.5:  # open-ended
                start, end = -90 * DAY_MS, None
            elif window < 0.8:  # a contract period around now
                start, end = -30 * DAY_MS, 60 * DAY_MS
            elif window < 0.9:  # expired: the list or group price applies again
                start, end = -120 * DAY_MS, -DAY_MS
            else:  # signed, not yet in force: takes over minutes into the demo
                start, end = rng.randrange(2, 10) * 60_000, None
            prices.append(DemoPrice(f"CP-{customer.customer_id}-{n}", item.sku, "CUSTOMER_CONTRACT",
                                    customer.customer_id, ((1, _pct(item.list_price, 80)),), start, end, contract))
    contract_price = next(i.list_price for i in items if i.sku == showcase.contract_sku)
    prices.append(DemoPrice(f"CP-{showcase.customer_id}-A", showcase.contract_sku, "CUSTOMER_CONTRACT",
                            showcase.customer_id, ((1, _pct(contract_price, 85)), (10, _pct(contract_price, 78))),
                            -30 * DAY_MS, 335 * DAY_MS, f"CT-{showcase.customer_id}"))
    future_price = next(i.list_price for i in items if i.sku == showcase.future_contract_sku)
    prices.append(DemoPrice(f"CP-{showcase.customer_id}-B", showcase.future_contract_sku, "CUSTOMER_CONTRACT",
                            showcase.customer_id, ((1, _pct(future_price, 75)),), FUTURE_CONTRACT_MS, None,
                            f"CT-{showcase.customer_id}"))
    return tuple(prices)


def _pct(price: Decimal, percent: int) -> Decimal:
    return (price * percent / 100).quantize(CENT)


@dataclass
class CheckoutFeed:
    """The catalog as ERP records: the opening burst, then occasional changes (the caller decides when)."""
    demo: DemoCatalog
    start_ms: int
    accounts: dict[str, Record] = field(default_factory=dict, init=False)  # the ERP's current records (no envelope)
    list_prices: dict[str, DemoPrice] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.list_prices = {price.sku: price for price in self.demo.prices if price.scope == "PRICE_LIST"}
        self.accounts = {customer.customer_id: _account(customer) for customer in self.demo.customers}

    def opening(self, envelope: Envelope) -> Iterator[Emitted]:
        for item in self.demo.items:
            yield catalog.ITEM_MASTER, item.sku, {
                "envelope": envelope("ItemMasterChanged", "erp"), "sku": item.sku,
                "description": f"{item.category.title()} item {item.sku}", "category": item.category,
                "unit_of_measure": "BOX" if item.category == "fasteners" else "EA", "sourcing": item.sourcing,
                "supplier_id": item.supplier_id, "lead_time_days": item.lead_time_days, "active": item.active}
        for price in self.demo.prices:
            yield self._price(self.list_prices[price.sku] if price.scope == "PRICE_LIST" else price, envelope)
        for customer_id, account in self.accounts.items():
            yield catalog.CUSTOMER_ACCOUNTS, customer_id, {"envelope": envelope("CustomerAccountChanged", "erp"),
                                                           **account}

    def change(self, rng: random.Random, envelope: Envelope) -> Emitted:
        """One ERP change: a list price moves (most), a credit hold is set or lifted, an entitlement is removed.
        The showcase customer's account is left alone, so the banner's examples keep answering."""
        roll = rng.random()
        if roll < 0.5:
            return self._reprice(rng, envelope)
        others = sorted(c for c in self.accounts if c != self.demo.showcase.customer_id)
        restricted = [c for c in others if self.accounts[c]["allowed_categories"] or self.accounts[c]["allowed_skus"]]
        if roll < 0.85 or not restricted:  # a hold lifted (when one is set, half the time) or a new hold
            held = [c for c in others if self.accounts[c]["credit_hold"]]
            lift = bool(held) and rng.random() < 0.5
            customer = rng.choice(held if lift else [c for c in others if c not in held])
            account = {**self.accounts[customer], "credit_hold": not lift}
        else:
            customer = rng.choice(restricted)
            account = dict(self.accounts[customer])
            key = "allowed_skus" if account["allowed_skus"] else "allowed_categories"
            names: list[str] = list(account[key])  # type: ignore[call-overload]
            names.remove(rng.choice(names))
            account[key] = names or None
            if account["allowed_skus"] is None and account["allowed_categories"] is None:
                account["allowed_categories"] = [rng.choice(CATEGORIES)]  # still restricted, to one category
        self.accounts[customer] = account
        return catalog.CUSTOMER_ACCOUNTS, customer, {"envelope": envelope("CustomerAccountChanged", "erp"), **account}

    def _reprice(self, rng: random.Random, envelope: Envelope) -> Emitted:
        """The list price entry of a SKU republished with new breaks (same price_id: it replaces the old one)."""
        sku = rng.choice(sorted(self.list_prices))
        old = self.list_prices[sku]
        base = max(CENT, _pct(old.breaks[0][1], rng.choice((90, 95, 98, 102, 105, 110))))
        new = DemoPrice(old.price_id, sku, old.scope, old.scope_id,
                        ((1, base), (10, _pct(base, 95)), (50, _pct(base, 90))), old.from_offset_ms)
        self.list_prices[sku] = new
        return self._price(new, envelope)

    def _price(self, price: DemoPrice, envelope: Envelope) -> Emitted:
        return catalog.PRICES, price.sku, {
            "envelope": envelope("PriceChanged", "erp"), "price_id": price.price_id, "sku": price.sku,
            "scope": price.scope, "scope_id": price.scope_id, "contract_id": price.contract_id,
            "currency": CURRENCY, "breaks": [{"min_quantity": q, "unit_price": str(p)} for q, p in price.breaks],
            "valid_from": self.start_ms + price.from_offset_ms,
            "valid_to": None if price.to_offset_ms is None else self.start_ms + price.to_offset_ms,
            "status": "ACTIVE"}


def _account(customer: DemoCustomer) -> Record:
    return {"customer_id": customer.customer_id, "account_status": "ACTIVE", "credit_hold": customer.credit_hold,
            "credit_limit": _text(customer.credit_limit), "credit_exposure": _text(customer.credit_exposure),
            "currency": CURRENCY if customer.credit_limit is not None else None, "price_list_id": PRICE_LIST,
            "customer_group": customer.group, "channels": list(customer.channels),
            "allowed_skus": _names(customer.allowed_skus), "allowed_categories": _names(customer.allowed_categories)}


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _names(names: tuple[str, ...] | None) -> list[str] | None:
    return None if names is None else list(names)
