"""The benchmarks' py-spy breakdown: a sample counts under the deepest frame that names a component."""
from __future__ import annotations

from pathlib import Path

from bench.common import profile_breakdown

COMPONENTS = (
    ("processors/inventory/records.py:to_record", "SKU state values -> record"),
    ("order_table_codec.<locals>.<lambda>", "order state JSON"),
    ("AvroCodec.encode", "Avro encode"),
)
WORKER = "main (streams/cli.py:9);BatchWorker.run (streams/engine/worker.py:150)"


def test_a_sample_counts_under_its_deepest_named_frame_and_a_file_tells_same_names_apart(tmp_path: Path) -> None:
    collapsed = tmp_path / "worker.txt"
    collapsed.write_text("\n".join([
        f"{WORKER};InventoryStage._apply_sku (streams/agents/inventory.py:160);"
        f"to_record (processors/inventory/records.py:21) 6",
        f"{WORKER};order_table_codec.<locals>.<lambda> (streams/agents/orders.py:71);"
        f"to_record (processors/orders/records.py:30) 3",
        f"{WORKER};AvroCodec.encode (topics/codec.py:80);schemaless_writer (fastavro/write.py:1) 1",
        "main (bench/load.py:3);AvroCodec.encode (topics/codec.py:80) 50",  # not the worker thread: left out
        f"{WORKER};InventoryStage.process (streams/agents/inventory.py:90) 2",
    ]) + "\n")
    samples, shares = profile_breakdown(collapsed, COMPONENTS)
    assert samples == 12
    assert dict(shares) == {"SKU state values -> record": 50.0, "order state JSON": 25.0,
                            "Avro encode": 100 / 12, "other": 100 * 2 / 12}
