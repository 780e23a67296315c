"""Building the real API around an in-memory snapshot, and talking to it (aiohttp's TestServer, no plugin)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from streams.api.app import build_api
from streams.api.exceptions import DictExceptionReader, RecordingActionSink
from streams.api.exceptions_replay import Original, RecordingReplayer
from streams.api.orders import DictOrderReader
from streams.readmodel.reader import DictCheckoutReader
from streams.settings import Settings
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.memory import DictAvailabilityReader

T = TypeVar("T")
STOREFRONT_KEY = "storefront-key-6f1c2a9b"  # availability:read
OPS_KEY = "ops-console-key-93be51d0"  # exceptions:read only
OPERATOR_KEY = "workbench-operator-key-5d2e8a71"  # exceptions:read, exceptions:write
NOW_MS = 1_795_700_060_000
AS_OF_MS = 1_795_700_000_000


def api_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_keys": SecretStr(f"{STOREFRONT_KEY}=availability:read,orders:read,prices:read,checkout:validate;"
                              f"{OPS_KEY}=exceptions:read;{OPERATOR_KEY}=exceptions:read,exceptions:write"),
        "api_rate_limit_per_s": 1_000.0, "api_rate_limit_burst": 1_000,
        "api_channels": "web=EAST,WEST;b2b-east=EAST", "api_read_your_writes_wait_ms": 150,
    }
    values.update(overrides)
    return Settings(**values)


def entry(sku: str = "SKU-1", version: int = 7, east: int = 10, west: int = 2, north: int = 0) -> AvailabilityEntry:
    locations = {"EAST": east, "WEST": west} | ({"NORTH": north} if north else {})
    return AvailabilityEntry(sku, version, AS_OF_MS, east + west + north, locations, {"inventory-commands:1": 41},
                             written_at_ms=AS_OF_MS + 20)


def example_order_reader() -> DictOrderReader:
    """One order, as the worker's order view writes it (streams/order_view.py)."""
    line = {"line_id": "L1", "sku": "SKU-1", "requested": 2, "reserved": 2, "backordered": 0, "allocated": 0,
            "shipped": 0, "delivered": 0, "cancelled": 0, "returned": 0}
    timeline = [{"at": AS_OF_MS, "axis": "status", "from": "", "to": "RECEIVED", "reason": "OrderPlaced",
                 "caused_by": "evt-1", "correlation_id": "corr-1"},
                {"at": AS_OF_MS + 50, "axis": "status", "from": "RECEIVED", "to": "RESERVED",
                 "reason": "ReservationAnswer RESERVED for claim L1", "caused_by": "evt-2", "correlation_id": "corr-1"}]
    document = {"order_id": "O-1001", "status": "RESERVED", "acceptance": "PENDING", "customer": "C-1001",
                "channel": "web", "correlation_id": "corr-1", "placed_at": AS_OF_MS, "version": 2,
                "as_of": AS_OF_MS + 50, "lines": [line], "fulfilments": [], "shipments": [], "held_facts": 0,
                "deadlines": [], "timeline": timeline, "timeline_dropped": 0}
    return DictOrderReader({"O-1001": document})


def example_exception_reader() -> DictExceptionReader:
    """Two open cases and one claimed, as the worker's workbench view writes them (streams/workbench_view.py)."""
    def case(exception_id: str, kind: str, team: str, raised_at: int, state: str = "OPEN",
             claimed_by: str = "") -> dict[str, Any]:
        return {"exception_id": exception_id, "exception_type": kind, "owner_team": team, "severity": "warning",
                "reason": f"{kind} on O-1001", "subject_type": "order", "subject_id": "O-1001",
                "details": {"sku": "GHOST"}, "raised_at": raised_at, "correlation_id": "corr-1", "state": state,
                "claimed_by": claimed_by, "version": 1 if state == "OPEN" else 2, "updated_at": raised_at,
                "note": "", "history": []}
    documents = {c["exception_id"]: c for c in (
        case("unknown_sku:evt-1:O-1001", "unknown_sku", "customer-service", NOW_MS - 7_200_000),
        case("erp_rejected:evt-2:O-1002", "erp_rejected", "customer-service", NOW_MS - 60_000, "CLAIMED",
             "key-someone"),
        case("shortfall:evt-3:SKU-1", "shortfall", "inventory-control", NOW_MS - 600_000))}
    return DictExceptionReader(documents, stats=[
        {"order_backlog": {"RESERVED": 3, "ACCEPTED": 1}, "sync_lag": {"erp": 10, "wms": 0}},
        {"order_backlog": {"RESERVED": 2}, "sync_lag": {"erp": 5, "commerce": 7}}])


def example_replayer() -> RecordingReplayer:
    """One source record at wms.inventory-movements[0]@41 (the OpenAPI example's position)."""
    return RecordingReplayer({("wms.inventory-movements", 0, 41): Original(
        b"SKU-1", b"\x00original-bytes", (("correlation_id", b"corr-7"), ("traceparent", b"00-abc")))})


class RecordingReader(DictAvailabilityReader):
    """The in-memory snapshot, remembering which SKUs were asked of it."""

    def __init__(self, entries: Sequence[AvailabilityEntry] = ()) -> None:
        super().__init__(entries)
        self.asked: list[str] = []

    async def get_many(self, skus: Sequence[str]) -> dict[str, AvailabilityEntry | None]:
        self.asked.extend(skus)
        return await super().get_many(skus)


def key_for(scope: str) -> str:
    """A configured key holding `scope` (the storefront's, or the workbench operator's for exceptions:*)."""
    return OPERATOR_KEY if scope.startswith("exceptions:") else STOREFRONT_KEY


def bearer(key: str = STOREFRONT_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def served(reader: DictAvailabilityReader | None = None, settings: Settings | None = None,
                 registry: CollectorRegistry | None = None,
                 checkout: DictCheckoutReader | None = None,
                 orders: DictOrderReader | None = None, exceptions: DictExceptionReader | None = None,
                 actions: RecordingActionSink | None = None,
                 replayer: RecordingReplayer | None = None) -> AsyncIterator[TestClient]:
    from tests.unit.checkout.support import example_checkout_reader

    app = build_api(settings or api_settings(), reader if reader is not None else RecordingReader([entry()]),
                    registry=registry, clock_ms=lambda: NOW_MS,
                    checkout_reader=checkout if checkout is not None else example_checkout_reader(),
                    order_reader=orders if orders is not None else example_order_reader(),
                    exception_reader=exceptions if exceptions is not None else example_exception_reader(),
                    action_sink=actions if actions is not None else RecordingActionSink(),
                    replayer=replayer if replayer is not None else example_replayer())
    async with TestClient(TestServer(app)) as client:
        yield client


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


async def raw_request(client: TestClient, request_line: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send a request line exactly as written (no client-side path normalisation), return status and body."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(f"{request_line} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{head}\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]
