"""The API's side of the checkout read model: the reader port, its Redis adapter and an in-memory one.

A cart costs two Redis round trips of few commands each: the customer's account and one MGET of the items, then one
HMGET of all the cart's SKUs per price scope of the customer (the account says which; at most three).
"""
from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import TypeVar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from processors.checkout import (CustomerAccount, ItemMaster, PriceEntry, PriceRule, account_from_record,
                                 item_from_record, newer, price_from_record)
from streams.readmodel.keys import ReadModelKeys, checked_customer_id, price_scopes_for
from streams.readmodel.cart_read import CART_READ, cart_read_args
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.keys import SnapshotKeys, checked_sku
from streams.snapshot.reader import (AvailabilityReader, SnapshotEntryUnreadable, SnapshotUnavailable, decoded_entry,
                                     unavailable)


@dataclass(frozen=True)
class CatalogView:
    """What a cart needs besides stock: per asked SKU its item (or None) and the entries of the customer's scopes."""

    items: dict[str, ItemMaster | None]
    prices: dict[str, list[PriceEntry]]


@dataclass(frozen=True)
class CartRead:
    account: CustomerAccount | None
    catalog: CatalogView
    stock: dict[str, AvailabilityEntry | None]


class CheckoutReader(ABC):
    @abstractmethod
    async def account(self, customer_id: str) -> CustomerAccount | None:
        """The customer's account, or None if the ERP has published none."""

    @abstractmethod
    async def catalog(self, skus: Sequence[str], account: CustomerAccount | None) -> CatalogView:
        """Items of the SKUs (once each), and their price entries for this account's scopes (none without one)."""

    async def cart_view(self, customer_id: str, skus: Sequence[str]) -> tuple[CustomerAccount | None, CatalogView]:
        """The account and the catalog of a cart; adapters may read both with fewer round trips."""
        account = await self.account(customer_id)
        return account, await self.catalog(skus, account)

    async def cart_with_stock(self, customer_id: str, skus: Sequence[str],
                              availability: AvailabilityReader) -> CartRead:
        """The cart's account and catalog, and the SKUs' availability entries from `availability`."""
        (account, view), stock = await asyncio.gather(self.cart_view(customer_id, skus), availability.get_many(skus))
        return CartRead(account, view, stock)


class RedisCheckoutReader(CheckoutReader):
    def __init__(self, client: aioredis.Redis, key_prefix: str) -> None:
        self._client = client
        self._keys = ReadModelKeys(key_prefix)
        self._stock_keys = SnapshotKeys(key_prefix)
        self._cart_read = client.register_script(CART_READ)

    async def cart_with_stock(self, customer_id: str, skus: Sequence[str],
                              availability: AvailabilityReader) -> CartRead:
        """One script call. The availability entries are read from this reader's Redis and key prefix — where the
        serving API's RedisAvailabilityReader reads them — not through `availability`."""
        unique = list(dict.fromkeys(skus))
        if not unique:
            return await super().cart_with_stock(customer_id, unique, availability)
        account_key = self._keys.customer(customer_id)
        for sku in unique:
            checked_sku(sku)
        args = cart_read_args(self._keys.item_prefix, self._stock_keys.availability_prefix, self._keys.prices_prefix,
                              unique)
        try:
            reply = await self._cart_read(keys=[account_key], args=args)
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise unavailable(error, "a cart") from error
        account_raw, item_raws, stock_raws, *scoped = reply
        account = None if account_raw is None else _decoded(account_key, account_raw, _account)
        prices: dict[str, list[PriceEntry]] = {sku: [] for sku in unique}
        asked = {f"{rule.value}:{scope}" for rule, scope in price_scopes_for(account)} if account else set()
        for label, values in zip(scoped[0::2], scoped[1::2]):
            label = label.decode() if isinstance(label, bytes) else str(label)
            if label in asked:
                key = self._keys.prices_prefix + label
                for sku, raw in zip(unique, values):
                    if raw is not None:
                        prices[sku].extend(_entries(key, raw))
        return CartRead(account, CatalogView(self._items(unique, item_raws), prices),
                        {sku: decoded_entry(sku, raw) for sku, raw in zip(unique, stock_raws)})

    async def account(self, customer_id: str) -> CustomerAccount | None:
        key = self._keys.customer(customer_id)
        try:
            raw = await self._client.get(key)
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise unavailable(error, "an account") from error
        return None if raw is None else _decoded(key, raw, _account)

    async def catalog(self, skus: Sequence[str], account: CustomerAccount | None) -> CatalogView:
        unique = list(dict.fromkeys(skus))
        if not unique:
            return CatalogView({}, {})
        items = self._items(unique, await self._execute(lambda pipe: pipe.mget(self._item_keys(unique)))[0])
        return CatalogView(items, await self._prices(unique, account))

    async def cart_view(self, customer_id: str, skus: Sequence[str]) -> tuple[CustomerAccount | None, CatalogView]:
        unique = list(dict.fromkeys(skus))
        key = self._keys.customer(customer_id)

        def ask(pipe: Pipeline) -> None:
            pipe.get(key)
            if unique:
                pipe.mget(self._item_keys(unique))

        replies = await self._execute(ask)
        account = None if replies[0] is None else _decoded(key, replies[0], _account)
        items = self._items(unique, replies[1]) if unique else {}
        return account, CatalogView(items, await self._prices(unique, account))

    def _item_keys(self, skus: list[str]) -> list[str]:
        return [self._keys.item(sku) for sku in skus]

    def _items(self, skus: list[str], raws: list[bytes | None]) -> dict[str, ItemMaster | None]:
        return {sku: None if raw is None else _decoded(self._keys.item(sku), raw, _item)
                for sku, raw in zip(skus, raws)}

    async def _prices(self, skus: list[str], account: CustomerAccount | None) -> dict[str, list[PriceEntry]]:
        prices: dict[str, list[PriceEntry]] = {sku: [] for sku in skus}
        scopes = price_scopes_for(account) if account is not None and skus else []
        if not scopes:
            return prices
        keys = [self._keys.prices(rule, scope_id) for rule, scope_id in scopes]
        replies = await self._execute(lambda pipe: [pipe.hmget(key, skus) for key in keys])
        for key, per_sku in zip(keys, replies):
            for sku, raw in zip(skus, per_sku):
                if raw is not None:
                    prices[sku].extend(_entries(key, raw))
        return prices

    async def _execute(self, ask: Callable[[Pipeline], object]) -> list[object]:
        pipe = self._client.pipeline(transaction=False)
        ask(pipe)
        try:
            return await pipe.execute()
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise unavailable(error, "the checkout read model") from error


# Decoded values by their stored bytes: the same bytes always decode to the same immutable value, so a hot SKU's
# item and prices are parsed once, not once per cart, and a changed value is simply other bytes (never stale).
# Bounded: about DECODED_CACHE_SIZE values of each kind stay in memory (a few tens of MB at most).
DECODED_CACHE_SIZE = 16_384
V = TypeVar("V")


@lru_cache(maxsize=DECODED_CACHE_SIZE)
def _item(raw: bytes | str) -> ItemMaster:
    return item_from_record(orjson.loads(raw))


@lru_cache(maxsize=DECODED_CACHE_SIZE)
def _account(raw: bytes | str) -> CustomerAccount:
    return account_from_record(orjson.loads(raw))


@lru_cache(maxsize=DECODED_CACHE_SIZE)
def _price_entries(raw: bytes | str) -> tuple[PriceEntry, ...]:
    return tuple(price_from_record(orjson.loads(entry)) for _as_of, _event_id, entry in orjson.loads(raw).values())


def _decoded(key: str, raw: bytes | str, parse: Callable[[bytes | str], V]) -> V:
    try:
        return parse(raw)
    except (ValueError, TypeError, KeyError) as error:
        raise SnapshotEntryUnreadable(key, f"{type(error).__name__}: {error}") from error


def _entries(key: str, raw: bytes | str) -> tuple[PriceEntry, ...]:
    try:
        return _price_entries(raw)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise SnapshotEntryUnreadable(key, f"{type(error).__name__}: {error}") from error


class DictCheckoutReader(CheckoutReader):
    """In memory, same answers as the Redis reader; `put` follows the writer's rule (never older over newer)."""

    def __init__(self, values: Iterable[ItemMaster | CustomerAccount | PriceEntry] = ()) -> None:
        self.items: dict[str, ItemMaster] = {}
        self.accounts: dict[str, CustomerAccount] = {}
        self.prices: dict[tuple[str, PriceRule, str], dict[str, PriceEntry]] = {}  # (sku, rule, scope) → id → entry
        self.reachable = True
        for value in values:
            self.put(value)

    def put(self, value: ItemMaster | CustomerAccount | PriceEntry) -> None:
        if isinstance(value, ItemMaster):
            self.items[value.sku] = newer(self.items.get(value.sku), value)
        elif isinstance(value, CustomerAccount):
            self.accounts[value.customer_id] = newer(self.accounts.get(value.customer_id), value)
        else:
            scope = self.prices.setdefault((value.sku, value.rule, value.scope_id), {})
            scope[value.price_id] = newer(scope.get(value.price_id), value)

    async def account(self, customer_id: str) -> CustomerAccount | None:
        self._require_reachable()
        return self.accounts.get(checked_customer_id(customer_id))

    async def catalog(self, skus: Sequence[str], account: CustomerAccount | None) -> CatalogView:
        self._require_reachable()
        unique = [checked_sku(sku) for sku in dict.fromkeys(skus)]
        scopes = price_scopes_for(account) if account is not None else []
        return CatalogView({sku: self.items.get(sku) for sku in unique},
                           {sku: [e for rule, scope in scopes for e in self.prices.get((sku, rule, scope), {}).values()]
                            for sku in unique})

    def _require_reachable(self) -> None:
        if not self.reachable:
            raise SnapshotUnavailable("in-memory checkout read model switched to unreachable")
