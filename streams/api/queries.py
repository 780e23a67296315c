"""What a caller asks for, validated: SKUs, a location or a sales channel, a minimum version, a batch body.

Anything malformed raises BadRequest(code, detail), answered as 400 {"error": code, "detail": detail}.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import orjson

from topics.identifiers import LOCATION_PATTERN, SKU_PATTERN, are_valid_skus, is_valid_sku

CHANNEL_PATTERN = LOCATION_PATTERN  # channel names follow the same rule as location codes
MAX_VERSION = 2**63 - 1
BATCH_FIELDS = frozenset({"skus", "location", "channel"})


class BadRequest(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


class ChannelConfigError(ValueError):
    """The channel map setting is malformed. Operator action: fix it to 'web=EAST,WEST;b2b-east=EAST'."""


@dataclass(frozen=True, slots=True)
class LocationScope:
    """Which locations an answer counts: all (None), one location, or a sales channel's locations."""

    locations: frozenset[str] | None = None
    location: str | None = None
    channel: str | None = None


ALL_LOCATIONS = LocationScope()


@dataclass(frozen=True, slots=True)
class BatchQuery:
    skus: tuple[str, ...]  # unique, in request order
    scope: LocationScope


class _Body(Protocol):
    async def read(self) -> bytes: ...


async def json_body(request: _Body) -> object:
    """The request's JSON body (RFC 8259: UTF-8; no NaN or Infinity)."""
    raw = await request.read()  # over client_max_size: HTTPRequestEntityTooLarge → 413
    try:
        return orjson.loads(raw)
    except ValueError:
        raise BadRequest("malformed_json", "the body is not valid UTF-8 JSON") from None


def parse_channels(text: str) -> dict[str, frozenset[str]]:
    """'web=EAST,WEST;b2b-east=EAST' → {"web": {"EAST", "WEST"}, "b2b-east": {"EAST"}}."""
    channels: dict[str, frozenset[str]] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, separator, location_list = (part.strip() for part in item.partition("="))
        locations = frozenset(loc.strip() for loc in location_list.split(",") if loc.strip())
        if not separator or not CHANNEL_PATTERN.fullmatch(name) or name in channels or not locations or any(
                not LOCATION_PATTERN.fullmatch(loc) for loc in locations):
            raise ChannelConfigError(f"channel entry {item!r}: expected 'channel=LOC1,LOC2', each name once")
        channels[name] = locations
    return channels


def requested_sku(sku: object) -> str:
    if not is_valid_sku(sku):
        raise BadRequest("invalid_sku", f"SKU {_shown(sku)} must match {SKU_PATTERN.pattern} "
                                        "(1-64 characters; no empty, '.' or '..' segments)")
    return sku  # type: ignore[return-value]


def location_scope(location: object, channel: object, channels: Mapping[str, frozenset[str]]) -> LocationScope:
    if location is not None and channel is not None:
        raise BadRequest("location_and_channel", "give a location or a channel, not both")
    if channel is not None:
        if not isinstance(channel, str) or channel not in channels:
            raise BadRequest("unknown_channel", f"channel {_shown(channel)} is not configured; known channels: "
                                                f"{', '.join(sorted(channels)) or 'none'}")
        return LocationScope(channels[channel], channel=channel)
    if location is not None:
        if not isinstance(location, str) or not LOCATION_PATTERN.fullmatch(location):
            raise BadRequest("invalid_location", f"location {_shown(location)} must match "
                                                 f"{LOCATION_PATTERN.pattern}")
        return LocationScope(frozenset({location}), location=location)
    return ALL_LOCATIONS


def min_version(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_VERSION:
        raise BadRequest("invalid_min_version", "min_version must be a whole number ≥ 0: the version your write "
                                                "was given")
    return int(raw)


def batch_query(body: object, channels: Mapping[str, frozenset[str]], max_skus: int) -> BatchQuery:
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", 'the body must be a JSON object: {"skus": ["SKU-1", ...]}')
    unknown = sorted(set(body) - BATCH_FIELDS)
    if unknown:
        raise BadRequest("unknown_field", f"unknown field(s) {unknown}; allowed: {sorted(BATCH_FIELDS)}")
    skus = body.get("skus")
    if not isinstance(skus, list) or not skus:
        raise BadRequest("invalid_body", f'"skus" must be a list of 1 to {max_skus} SKUs')
    if len(skus) > max_skus:
        raise BadRequest("too_many_skus", f"{len(skus)} SKUs asked, at most {max_skus} per request")
    if not are_valid_skus(skus):
        index, sku = next((index, sku) for index, sku in enumerate(skus) if not is_valid_sku(sku))
        raise BadRequest("invalid_sku", f"skus[{index}] {_shown(sku)} must match {SKU_PATTERN.pattern} "
                                        "(1-64 characters; no empty, '.' or '..' segments)")
    scope = location_scope(body.get("location"), body.get("channel"), channels)
    return BatchQuery(tuple(dict.fromkeys(skus)), scope)


def _shown(value: object) -> str:
    """A caller's value, quoted and cut short, safe inside a JSON error detail."""
    if not isinstance(value, str):
        return f"of type {type(value).__name__}"
    return repr(value[:80] + ("…" if len(value) > 80 else ""))
