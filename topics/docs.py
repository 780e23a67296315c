"""docs/topics.md is generated from the catalog (a test fails if the committed file differs): `python -m topics.docs`."""
from __future__ import annotations

import sys
from pathlib import Path

from topics import catalog
from topics.spec import Role, TopicSpec

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "topics.md"
TITLES = {Role.SOURCE: "Source topics (produced by systems of record)",
          Role.DERIVED: "Derived topics (produced by distflow for others)",
          Role.INTERNAL: "Internal topics (distflow's own repartition and changelog topics)"}


def _row(spec: TopicSpec) -> str:
    retention = "forever (compacted)" if spec.retention_ms is None else f"{spec.retention_ms // 86_400_000} days"
    schema = f"`{spec.value_schema}`" if spec.value_schema else "state codec (JSON)"
    consumers = ", ".join(c.value for c in spec.consumers)
    return (f"| `{spec.name}` | {spec.partitions} | {spec.cleanup.value} | {retention} | `{spec.key}` | {schema} | "
            f"{spec.producer.value} | {consumers} | {spec.description} |")


def render() -> str:
    lines = ["# Topic catalog", "",
             "Generated from `topics/catalog.py` by `python -m topics.docs`; do not edit by hand.", "",
             "Every value is Avro in the Confluent wire format (magic byte 0, 4-byte schema id, body); schemas are in",
             "`avro_schemas/` and described in [schemas.md](schemas.md). Names get `DISTFLOW_TOPIC_PREFIX` in front.",
             "`distflow topics apply` creates and aligns them on any cluster (idempotent, never deletes).", ""]
    for role in Role:
        lines += [f"## {TITLES[role]}", "",
                  "| topic | partitions | cleanup | retention | key | value schema | producer | consumers | meaning |",
                  "| --- | ---: | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [_row(spec) for spec in catalog.ALL_TOPICS if spec.role is role]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    DOC_PATH.write_text(render())
    sys.stdout.write(f"wrote {DOC_PATH}\n")
