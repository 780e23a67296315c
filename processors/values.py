"""A faster dataclasses.replace for the domain's frozen, slotted value classes (SkuInventory, LocationStock,
LineClaim, Order, ...): every fact makes several copies, on the hot path of both owners.

One copier per class and set of changed fields, generated once from the class's slots: straight-line code that
writes each slot through the slot's own descriptor (skipping __init__ and the frozen __setattr__), the changed
ones from `changes`, the others from the value. About twice as fast as a loop over the slots (1.47 -> 0.81 us for a
LocationStock), which is what the inventory model used before; knowing which fields change, rather than asking
`name in changes` for every slot, takes another fifth off a wide class (an Order, 24 slots: 2.4 -> 1.9 us). Use it
only on classes without __post_init__ validation and without inherited fields; a name that is not a field is
refused, as dataclasses.replace refuses it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_COPIERS: dict[tuple[Any, ...], Callable[[Any, dict[str, Any]], Any]] = {}  # (class, *changed names) -> copier


def evolve(value: T, **changes: Any) -> T:
    key = (type(value), *changes)
    copier = _COPIERS.get(key)
    if copier is None:
        copier = _COPIERS[key] = _copier(type(value), tuple(changes))
    return copier(value, changes)  # type: ignore[no-any-return]


def _copier(cls: type, changed: tuple[str, ...]) -> Callable[[Any, dict[str, Any]], Any]:
    names: tuple[str, ...] = cls.__slots__  # type: ignore[attr-defined]
    unknown = sorted(set(changed) - set(names))
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {unknown}")
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    body = ["def copy(value, changes):", "    copied = new(cls)"]
    for index, name in enumerate(names):
        scope[f"set{index}"] = getattr(cls, name).__set__
        source = f"changes[{name!r}]" if name in changed else f"value.{name}"
        body.append(f"    set{index}(copied, {source})")
    body.append("    return copied")
    exec("\n".join(body), scope)  # noqa: S102 (generated from the class's own slot names)
    return scope["copy"]  # type: ignore[no-any-return]
