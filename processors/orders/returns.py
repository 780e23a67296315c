"""Returns (RMA) of an order: requested → authorised or refused (ERP) → received and dispositioned (WMS) →
credit memo (ERP) → completed.

Stock is not this module's business: the SKU owner puts received units in quality control and back on the shelf on
RESTOCK (availability rises then, and only then) or writes them off on SCRAP. Here the order keeps the case, counts
the lines' returned units when they arrive, and asks the ERP to authorise and, once every unit is dispositioned, to
credit. A receipt before its authorisation, or a credit memo before the goods, waits (held) for it.
"""
from __future__ import annotations

from processors.orders.decisions import (
    ErpCommand, ErpCommandKind, ErpLine, ErpPriority, OrderException, OrderExceptionType)
from processors.orders.facts import (
    CreditMemoIssued, Disposition, ReturnedLine, ReturnGoodsReceived, ReturnRequested, RmaDecided)
from processors.orders.policy import OrderPolicy
from processors.orders.state import Order, ReturnCase, ReturnStatus, line_index, with_line
from processors.orders.steps import Cause, Hold, Ignore, Outcome, illegal
from processors.values import evolve

S = ReturnStatus


def request_return(order: Order, fact: ReturnRequested, policy: OrderPolicy, cause: Cause) -> Outcome:
    if _case_at(order, fact.return_id) is not None:
        return Ignore(f"return {fact.return_id} is already known", duplicate=True)
    asked: dict[str, int] = {}
    for line in fact.lines:
        asked[line.line_id] = asked.get(line.line_id, 0) + line.quantity
    for line_id, quantity in asked.items():
        index = line_index(order, line_id)
        if index is None:
            return illegal(f"return {fact.return_id} names line {line_id}, which the order does not have", line_id)
        line = order.lines[index]
        pending = sum(r.quantity for case in order.returns if case.open and case.status is not S.RECEIVED
                      for r in case.lines if r.line_id == line_id)
        if line.returned + pending + quantity > line.shipped:
            return Hold(f"return {fact.return_id} asks for {quantity} of line {line_id}, more than shipped and not "
                        f"yet returned ({line.shipped - line.returned - pending}): waiting for the shipment")
    case = ReturnCase(fact.return_id, fact.occurred_at, tuple(ReturnedLine(k, v) for k, v in asked.items()))
    command = ErpCommand(*cause.head, f"{order.order_id}/rma/{fact.return_id}", ErpCommandKind.AUTHORISE_RETURN,
                         ErpPriority.NORMAL, _erp_lines(order, case), order.customer,
                         reason=f"return {fact.return_id}")
    return evolve(order, returns=(*order.returns, case)), (command,)


def decide_rma(order: Order, fact: RmaDecided, policy: OrderPolicy, cause: Cause) -> Outcome:
    at = _case_at(order, fact.return_id)
    if at is None:
        return Hold(f"an RMA decision for return {fact.return_id}, which is not requested yet")
    case = order.returns[at]
    if case.status is not S.REQUESTED:
        return Ignore(f"return {fact.return_id} was already decided ({case.status})")
    if fact.authorised:
        return _with_case(order, at, evolve(case, status=S.AUTHORISED)), ()
    reason = f"the ERP refused return {fact.return_id}" + (f": {fact.reason}" if fact.reason else "")
    return (_with_case(order, at, evolve(case, status=S.REFUSED)),
            (OrderException(*cause.head, OrderExceptionType.RMA_REFUSED, reason, fact.return_id),))


def receive_return(order: Order, fact: ReturnGoodsReceived, policy: OrderPolicy, cause: Cause) -> Outcome:
    at = _case_at(order, fact.return_id)
    if at is None or order.returns[at].status is S.REQUESTED:
        return Hold(f"goods of return {fact.return_id} arrived before its authorisation")
    case = order.returns[at]
    if case.status is S.REFUSED:
        return illegal(f"goods of return {fact.return_id} arrived although the ERP refused it: send them back or "
                       f"authorise the return", fact.return_id)
    if case.status is not S.AUTHORISED:
        return Ignore(f"return {fact.return_id} is already {case.status}")
    units = sum(line.quantity for line in fact.lines)
    decided = [line for line in fact.lines if line.disposition is not Disposition.PENDING_INSPECTION]
    case = evolve(case, received=case.received + units,
                  restocked=case.restocked + sum(l.quantity for l in decided if l.disposition is Disposition.RESTOCK),
                  scrapped=case.scrapped + sum(l.quantity for l in decided if l.disposition is Disposition.SCRAP))
    for line in fact.lines:
        index = line_index(order, line.line_id)
        if index is not None:
            order = with_line(order, index, evolve(order.lines[index], returned=order.lines[index].returned +
                                                   line.quantity))
    if case.restocked + case.scrapped < case.units:
        return _with_case(order, at, case), ()
    case = evolve(case, status=S.RECEIVED)
    command = ErpCommand(*cause.head, f"{order.order_id}/credit/{fact.return_id}", ErpCommandKind.ISSUE_CREDIT_MEMO,
                         ErpPriority.BACKGROUND, _erp_lines(order, case), order.customer,
                         reason=f"return {fact.return_id}: {case.restocked} restocked, {case.scrapped} scrapped")
    return _with_case(order, at, case), (command,)


def credit_return(order: Order, fact: CreditMemoIssued, policy: OrderPolicy, cause: Cause) -> Outcome:
    at = _case_at(order, fact.return_id)
    if at is None or order.returns[at].status in (S.REQUESTED, S.AUTHORISED):
        return Hold(f"a credit memo for return {fact.return_id} before its goods were received")
    case = order.returns[at]
    if case.status is not S.RECEIVED:
        return Ignore(f"return {fact.return_id} is {case.status}: nothing to credit")
    return _with_case(order, at, evolve(case, status=S.COMPLETED, credit_memo_id=fact.credit_memo_id)), ()


def _case_at(order: Order, return_id: str) -> int | None:
    for index, case in enumerate(order.returns):
        if case.return_id == return_id:
            return index
    return None


def _with_case(order: Order, index: int, case: ReturnCase) -> Order:
    return evolve(order, returns=(*order.returns[:index], case, *order.returns[index + 1:]))


def _erp_lines(order: Order, case: ReturnCase) -> tuple[ErpLine, ...]:
    kinds = {line.line_id: (line.sku, line.kind) for line in order.lines}
    return tuple(ErpLine(line.line_id, kinds[line.line_id][0], line.quantity, kinds[line.line_id][1])
                 for line in case.lines if line.line_id in kinds)
