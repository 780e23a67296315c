"""A faster dataclasses.replace for the state's frozen, slotted value classes (the hot path replaces several per
event). It copies every slot and sets the changed ones; it skips __init__, so use it only on classes without
__post_init__ validation and without inherited fields (SkuInventory, LocationStock, LineClaim, Backorder)."""
from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")
_set = object.__setattr__


def evolve(value: T, **changes: Any) -> T:
    cls = type(value)
    evolved = object.__new__(cls)
    for name in cls.__slots__:  # type: ignore[attr-defined]
        _set(evolved, name, changes[name] if name in changes else getattr(value, name))
    return evolved
