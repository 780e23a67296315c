#!/usr/bin/env bash
# Profile the per-event Faust baseline (the anchors' faust_sum.py) with py-spy; prints the inclusive hot spots.
# Needs `pip install py-spy` in .venv (not a project dependency) and the bench extra (faust-streaming).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${N:-200000}
work=$(mktemp -d)
PORT=$(.venv/bin/python -c "from streams.devstack import free_port; print(free_port())")
BIN=$(.venv/bin/python -c "from streams.devstack import tansu_binary; print(tansu_binary())")
"$BIN" broker --listener-url "tcp://127.0.0.1:$PORT" --advertised-listener-url "tcp://127.0.0.1:$PORT" >"$work/tansu.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
.venv/bin/python ../shared/anchors-perf/produce.py "127.0.0.1:$PORT" perf "$N"
cp ../shared/anchors-perf/faust_sum.py "$work/"
(cd "$work" && BOOT="127.0.0.1:$PORT" TOPIC=perf N="$N" STORE=memory:// \
  "$ROOT/.venv/bin/py-spy" record -o profile.txt -f raw -d 40 -- "$ROOT/.venv/bin/faust" -A faust_sum worker -l warn) || true
.venv/bin/python - "$work/profile.txt" <<'PY'
import sys
from collections import Counter
inclusive, total = Counter(), 0
for line in open(sys.argv[1]):
    stack, _, count = line.rstrip().rpartition(" ")
    total += int(count)
    seen = set()
    for frame in stack.split(";"):
        name = frame.split(" (")[0]
        if name not in seen:
            inclusive[name] += int(count)
            seen.add(name)
for name, count in inclusive.most_common(40):
    print(f"{100 * count / total:5.1f}% {name}")
PY
