"""What a fact handler may answer: the fact applied (a new Order and decisions), or held, refused or ignored."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Union

from processors.orders.decisions import OrderDecision, OrderExceptionType
from processors.orders.state import Order
from processors.values import fast_init


class Cause(NamedTuple):
    """Who decides (the order), why (the fact's event id, its correlation id) and when (event time)."""

    order_id: str
    correlation_id: str
    event_id: str
    at: int  # the latest event time applied, this fact's included

    @property
    def head(self) -> tuple[str, str, str]:
        """The first three fields of every decision."""
        return self.order_id, self.correlation_id, self.event_id


@fast_init
@dataclass(frozen=True, slots=True)
class Hold:
    """The fact refers to state that has not arrived: keep it and try again after every applied fact."""

    reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class Refuse:
    """The fact would break the order's rules: not applied; an exception says why."""

    exception_type: OrderExceptionType
    reason: str
    subject: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class Ignore:
    """The fact changes nothing in the order (only its event id is remembered, so a redelivery stays ignored)."""

    reason: str
    duplicate: bool = False


Decisions = tuple[OrderDecision, ...]
Applied = tuple[Order, Decisions]
Outcome = Union[Applied, Hold, Refuse, Ignore]


def illegal(reason: str, subject: str = "") -> Refuse:
    return Refuse(OrderExceptionType.ILLEGAL_TRANSITION, reason, subject)
