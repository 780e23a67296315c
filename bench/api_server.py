"""The storefront API in a process of its own, for bench.api_throughput.

    python -m bench.api_server '{"reader": "redis"|"dict", "settings": {...}, "entries": N, "now_ms": T}'

redis: exactly what `distflow api` runs (streams.api.app.run_api: build_api over RedisAvailabilityReader, the
client built inside the server's loop), logs configured from the settings as the CLI does.
dict:  build_api over DictAvailabilityReader holding the same N entries (bench.common.availability_entries), served
the same way (aiohttp web.run_app, no access log of aiohttp's own) with run_api's GC settings (the entries frozen
with the rest of start-up, the same thresholds). The in-process baseline.
"""
from __future__ import annotations

import json
import sys

from bench.common import availability_entries, build_settings


def main() -> None:
    config = json.loads(sys.argv[1])
    from aiohttp import web

    from streams import logs
    from streams.api.app import build_api, run_api, settle_gc
    from streams.snapshot.memory import DictAvailabilityReader

    settings = build_settings(config["settings"])
    logs.configure(settings.log_level, settings.log_format)
    if config["reader"] == "redis":
        run_api(settings)
        return
    reader = DictAvailabilityReader(availability_entries(int(config["entries"]), int(config["now_ms"])))
    reader.heartbeat_ms = int(config["now_ms"])
    app = build_api(settings, reader)
    settle_gc()
    web.run_app(app, host=settings.api_host, port=settings.api_port, access_log=None,
                print=None)


if __name__ == "__main__":
    main()
