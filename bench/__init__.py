"""Benchmarks of the distflow hot paths, each printing its figure beside a baseline measured in the same run.

    python -m bench.inventory_path     source events → intake → SKU owner, vs raw consume + decode
    python -m bench.snapshot_latency   event produced → entry visible in Redis, at a steady rate
    python -m bench.api_throughput     the storefront API over Redis, vs the same API over an in-memory dict
    python -m bench.run_all            all of them; writes bench/RESULTS.md

See bench/README.md. Benchmarks never import from tests/.
"""
