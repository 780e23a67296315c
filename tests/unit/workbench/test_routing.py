"""Configurable routing (DISTFLOW_EXCEPTION_ROUTING): an exception type's queue can be another team's."""
from __future__ import annotations

import pytest

from streams.agents.workbench import RoutingConfigError, parse_routing


def test_routing_maps_catalog_types_to_teams() -> None:
    assert parse_routing("shortfall=warehouse-ops; unknown_sku=catalog-team;") == {
        "shortfall": "warehouse-ops", "unknown_sku": "catalog-team"}
    assert parse_routing("") == {}


@pytest.mark.parametrize("text", ["shortfall", "volcano=ops", "shortfall=Ops Team", "shortfall=a;shortfall=b"])
def test_a_malformed_routing_fails_at_start(text: str) -> None:
    with pytest.raises(RoutingConfigError):
        parse_routing(text)
