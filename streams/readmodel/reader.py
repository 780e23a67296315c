"""The API's side of the checkout read model: the reader port, its Redis adapter and an in-memory one.

A cart costs two Redis round trips: the customer's account (it says which price scopes to read), then one pipeline
with one MGET of the items and one HMGET per SKU for the customer's three price scopes.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from processors.checkout import (CustomerAccount, ItemMaster, PriceEntry, account_from_record, item_from_record,
                                 newer, price_from_record)
from streams.readmodel.keys import ReadModelKeys, checked_customer_id, price_field, price_fields_for
from streams.snapshot.keys import checked_sku
from streams.snapshot.reader import SnapshotEntryUnreadable, SnapshotUnavailable


@dataclass(frozen=True)
class CatalogView:
    """What a cart needs besides stock: per asked SKU its item (or None) and the entries of the customer's scopes."""

    items: dict[str, ItemMaster | None]
    prices: dict[str, list[PriceEntry]]


class CheckoutReader(ABC):
    @abstractmethod
    async def account(self, customer_id: str) -> CustomerAccount | None:
        """The customer's account, or None if the ERP has published none."""

    @abstractmethod
    async def catalog(self, skus: Sequence[str], account: CustomerAccount | None) -> CatalogView:
        """Items of the SKUs (once each), and their price entries for this account's scopes (none without one)."""


class RedisCheckoutReader(CheckoutReader):
    def __init__(self, client: aioredis.Redis, key_prefix: str) -> None:
        self._client = client
        self._keys = ReadModelKeys(key_prefix)

    async def account(self, customer_id: str) -> CustomerAccount | None:
        key = self._keys.customer(customer_id)
        try:
            raw = await self._client.get(key)
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise SnapshotUnavailable(f"Redis unreachable reading an account: {type(error).__name__}") from error
        return None if raw is None else _decoded(key, raw, account_from_record)

    async def catalog(self, skus: Sequence[str], account: CustomerAccount | None) -> CatalogView:
        unique = list(dict.fromkeys(skus))
        if not unique:
            return CatalogView({}, {})
        fields = price_fields_for(account) if account is not None else []
        pipe = self._client.pipeline(transaction=False)
        pipe.mget([self._keys.item(sku) for sku in unique])
        for sku in unique if fields else ():
            pipe.hmget(self._keys.prices(sku), fields)
        try:
            replies = await pipe.execute()
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise SnapshotUnavailable(f"Redis unreachable reading the catalog: {type(error).__name__}") from error
        items = {sku: None if raw is None else _decoded(self._keys.item(sku), raw, item_from_record)
                 for sku, raw in zip(unique, replies[0])}
        prices = {sku: _entries(self._keys.prices(sku), scopes) for sku, scopes in zip(unique, replies[1:])}
        return CatalogView(items, {sku: prices.get(sku, []) for sku in unique})


def _decoded(key: str, raw: bytes | str, build):  # type: ignore[no-untyped-def]
    try:
        return build(json.loads(raw))
    except (ValueError, TypeError, KeyError) as error:
        raise SnapshotEntryUnreadable(key, f"{type(error).__name__}: {error}") from error


def _entries(key: str, scopes: Iterable[bytes | str | None]) -> list[PriceEntry]:
    entries = []
    for raw in scopes:
        if raw is None:
            continue
        try:
            for _as_of, _event_id, entry in json.loads(raw).values():
                entries.append(price_from_record(json.loads(entry)))
        except (ValueError, TypeError, KeyError) as error:
            raise SnapshotEntryUnreadable(key, f"{type(error).__name__}: {error}") from error
    return entries


class DictCheckoutReader(CheckoutReader):
    """In memory, same answers as the Redis reader; `put` follows the writer's rule (never older over newer)."""

    def __init__(self, values: Iterable[ItemMaster | CustomerAccount | PriceEntry] = ()) -> None:
        self.items: dict[str, ItemMaster] = {}
        self.accounts: dict[str, CustomerAccount] = {}
        self.prices: dict[tuple[str, str], dict[str, PriceEntry]] = {}  # (sku, field) → price_id → entry
        self.reachable = True
        for value in values:
            self.put(value)

    def put(self, value: ItemMaster | CustomerAccount | PriceEntry) -> None:
        if isinstance(value, ItemMaster):
            self.items[value.sku] = newer(self.items.get(value.sku), value)
        elif isinstance(value, CustomerAccount):
            self.accounts[value.customer_id] = newer(self.accounts.get(value.customer_id), value)
        else:
            scope = self.prices.setdefault((value.sku, price_field(value.rule, value.scope_id)), {})
            scope[value.price_id] = newer(scope.get(value.price_id), value)

    async def account(self, customer_id: str) -> CustomerAccount | None:
        self._require_reachable()
        return self.accounts.get(checked_customer_id(customer_id))

    async def catalog(self, skus: Sequence[str], account: CustomerAccount | None) -> CatalogView:
        self._require_reachable()
        unique = [checked_sku(sku) for sku in dict.fromkeys(skus)]
        fields = price_fields_for(account) if account is not None else []
        return CatalogView({sku: self.items.get(sku) for sku in unique},
                           {sku: [e for f in fields for e in self.prices.get((sku, f), {}).values()]
                            for sku in unique})

    def _require_reachable(self) -> None:
        if not self.reachable:
            raise SnapshotUnavailable("in-memory checkout read model switched to unreachable")
