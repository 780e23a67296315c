"""A small batch stream engine on librdkafka and RocksDB.

Why not plain Faust agents: a per-event Faust agent with a table runs at ~1,450 events/s on our machines while the
same process decodes ~86,000/s (docs/performance.md has the profile: the time is in Faust's per-event
machinery). This engine keeps Faust's guarantees — partition-owned, changelog-backed tables, at-least-once with
idempotent processing — but every step works on a batch: one consume call, one decode pass, one state write and
one changelog record per key, one producer flush and one offset commit per batch.
"""
