"""Asking SKU owners for stock: the first claim of each stocked line, and re-sourcing a short pick."""
from __future__ import annotations

from processors.orders.decisions import ReserveLine
from processors.orders.facts import CLAIM_SEPARATOR
from processors.orders.policy import SourcingPolicy
from processors.orders.state import OrderLine, StockClaim
from processors.orders.steps import Cause


def reserve(cause: Cause, claim: StockClaim, ordered_at: int, sourcing: SourcingPolicy,
            avoid: str | None = None) -> ReserveLine:
    """ReserveLine for a claim, preferring the policy's locations in order (`avoid` taken out of them).

    The SKU owner ranks the locations it was not told about after the preferred ones, so `avoid` is only not
    preferred: it may still be used when nothing else has stock (the inventory model has no exclusion list).
    """
    preferred = tuple(location for location in sourcing.location_priority if location != avoid)
    return ReserveLine(*cause.head, claim.sku, claim.claim_id, claim.requested, ordered_at, preferred,
                       sourcing.max_locations_per_line)


def next_claim_id(line: OrderLine) -> str:
    """The first claim has the line's id; re-sourced ones f"{line_id}~r1", "~r2"..."""
    return f"{line.line_id}{CLAIM_SEPARATOR}r{len(line.claims)}"
