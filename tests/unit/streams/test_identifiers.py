import pytest

from streams.snapshot.keys import InvalidSku, checked_sku
from streams.translate.validation import Invalid, check_sku


@pytest.mark.parametrize("sku", ["A/../B", "A//B", "./A", "-A", "A B", "x" * 65])
def test_intake_refuses_every_sku_the_snapshot_would_refuse(sku: str) -> None:
    with pytest.raises(Invalid):
        check_sku(sku)
    with pytest.raises(InvalidSku):
        checked_sku(sku)


@pytest.mark.parametrize("sku", ["SKU-1", "ACME/BOLT-M8", "v2:SKU.9"])
def test_a_sku_intake_accepts_can_become_a_snapshot_key(sku: str) -> None:
    assert check_sku(sku) == checked_sku(sku) == sku
