"""A bounded memory of recent keys (event ids, closed order lines), by count AND by event-time age.

Keys are kept in chunks: a small tuple being filled, sealed into a frozen set once it holds `size // 8` keys or
has been filling for `max_age_ms // 8` (as `now` goes), so at most about 18 chunks are live: a lookup is a few set
probes, and remembering a key copies one small tuple, never the whole window.
Guarantee: a key is remembered while it is among the last `size` keys remembered and no older than `max_age_ms`
before `now`. Whole chunks are forgotten at once, so a key may be remembered up to one chunk (in count) or an
eighth of the age (in time) longer; `now` is the latest event time applied, so a quiet SKU forgets nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from processors.values import fast_init

CHUNKS_PER_WINDOW = 8


@fast_init
@dataclass(frozen=True, slots=True)
class KeyChunk:
    keys: frozenset[str]
    newest_at: int


@fast_init
@dataclass(frozen=True, slots=True)
class RecentKeys:
    sealed: tuple[KeyChunk, ...] = ()  # oldest first
    filling: tuple[str, ...] = ()
    filling_since: int | None = None  # `now` when the filling chunk got its first key
    filling_newest_at: int | None = None

    def __contains__(self, key: str) -> bool:
        if key in self.filling:
            return True
        for chunk in self.sealed:
            if key in chunk.keys:
                return True
        return False

    def __len__(self) -> int:
        return len(self.filling) + sum(len(chunk.keys) for chunk in self.sealed)

    def remember(self, key: str, at: int, now: int, size: int, max_age_ms: int) -> RecentKeys:
        filling = (*self.filling, key)
        since = now if self.filling_since is None else self.filling_since
        newest = at if self.filling_newest_at is None else max(at, self.filling_newest_at)
        sealed = self.sealed
        if len(filling) >= max(1, size // CHUNKS_PER_WINDOW) or now - since >= max_age_ms // CHUNKS_PER_WINDOW:
            sealed = _without_surplus((*sealed, KeyChunk(frozenset(filling), newest)), size)
            return RecentKeys(_without_expired(sealed, now - max_age_ms))
        return RecentKeys(_without_expired(sealed, now - max_age_ms), filling, since, newest)


def _without_surplus(sealed: tuple[KeyChunk, ...], size: int) -> tuple[KeyChunk, ...]:
    """Forget the oldest chunks while the rest still hold at least `size` keys."""
    count = sum(len(chunk.keys) for chunk in sealed)
    start = 0
    while start < len(sealed) and count - len(sealed[start].keys) >= size:
        count -= len(sealed[start].keys)
        start += 1
    return sealed[start:]


def _without_expired(sealed: tuple[KeyChunk, ...], oldest_kept_at: int) -> tuple[KeyChunk, ...]:
    """Forget the chunks whose newest key is older than the age limit."""
    start = 0
    while start < len(sealed) and sealed[start].newest_at < oldest_kept_at:
        start += 1
    return sealed[start:] if start else sealed
