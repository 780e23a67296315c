"""The item master every worker can read: a global table over erp.item-master (all partitions, in memory).

    items = item_master_table(settings).start()
    items.wait_ready(30)
    items.item("RETRO-CLOCK")   # → ItemMaster (sourcing, supplier, lead time, active) or None

The order saga uses it for drop-ship/special-order routing and lead times on the order's own partition.
"""
from __future__ import annotations

import logging

from processors.checkout import ItemMaster, newer
from streams.engine.global_table import GlobalTable
from streams.readmodel import translate
from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from streams.translate.validation import Invalid
from topics import catalog
from topics.codec import AvroCodec, build_codec
from topics.wire import DecodeError

log = logging.getLogger(__name__)


class ItemMasterTable(GlobalTable[ItemMaster]):
    def item(self, sku: str) -> ItemMaster | None:
        return self.get(sku)


def item_decoder(codec: AvroCodec, clock_ms=None):  # type: ignore[no-untyped-def]
    import time

    clock_ms = clock_ms or (lambda: int(time.time() * 1000))
    schema = catalog.ITEM_MASTER.value_schema or ""

    def decode(value: bytes | None) -> ItemMaster | None:
        try:
            return translate.item_master(codec.decode(value, schema), clock_ms())
        except (DecodeError, Invalid, KeyError, TypeError, ValueError) as error:
            log.debug("item master record skipped: %s", error)
            return None
    return decode


def item_master_table(settings: Settings, codec: AvroCodec | None = None) -> ItemMasterTable:
    codec = codec or build_codec(settings)
    return ItemMasterTable(settings.kafka_client_config(), DeployedCatalog(settings)[catalog.ITEM_MASTER],
                           item_decoder(codec), key_of=lambda item: item.sku, merge=newer)
