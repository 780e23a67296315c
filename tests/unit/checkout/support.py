"""An in-memory checkout read model holding the OpenAPI document's example customer and SKU."""
from __future__ import annotations

from processors.checkout import PriceRule
from streams.readmodel.reader import DictCheckoutReader
from tests.unit.checkout.factories import account, item, price

EXAMPLE_CUSTOMER, EXAMPLE_SKU = "C-1001", "SKU-00001"


def example_checkout_reader() -> DictCheckoutReader:
    return DictCheckoutReader([
        account(EXAMPLE_CUSTOMER, channels=frozenset({"web"})),
        item(EXAMPLE_SKU), item("SKU-00002"),
        price("19.90", sku=EXAMPLE_SKU, breaks=((10, "17.50"),)),
        price("4.00", sku="SKU-00002"),
        price("18.00", sku=EXAMPLE_SKU, rule=PriceRule.CUSTOMER_CONTRACT, scope_id=EXAMPLE_CUSTOMER),
    ])
