"""The knobs the business sets; processors never read settings, the shell passes an InventoryPolicy in."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from processors.values import fast_init

HOUR_MS = 60 * 60 * 1000


@fast_init
@dataclass(frozen=True, slots=True)
class InventoryPolicy:
    default_safety_stock: int = 0
    safety_stock_by_location: Mapping[str, int] = field(default_factory=dict)
    dedupe_window_size: int = 256  # event ids remembered per SKU (at least this many, see dedupe.py)
    dedupe_window_ms: int = 48 * HOUR_MS  # ...and at least this long in event time
    drift_tolerance: int = 0  # units an ERP snapshot may differ from us before DriftDetected
    max_recent_movements: int = 64  # physical movements kept per location to reconcile late snapshots

    def __post_init__(self) -> None:
        if self.dedupe_window_size < 1 or self.dedupe_window_ms < 0:
            raise ValueError("the dedupe window needs a size of at least 1 and a non-negative age")
        if self.drift_tolerance < 0 or self.max_recent_movements < 0:
            raise ValueError("drift tolerance and movements kept cannot be negative")
        object.__setattr__(self, "safety_stock_by_location", MappingProxyType(dict(self.safety_stock_by_location)))

    def safety_stock_at(self, location: str) -> int:
        return self.safety_stock_by_location.get(location, self.default_safety_stock)
