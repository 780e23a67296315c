#!/usr/bin/env bash
# Debian packages needed by some test suites. Idempotent: installs only what is missing.
set -euo pipefail
need=()
# (each suite that needs a Debian package adds a line here: command -v X >/dev/null || need+=(pkg))
# tests/deploy: `promtool check rules` / `promtool test rules` on the chart's PrometheusRule and dashboard queries;
# tests/integration/test_prometheus_scrape.py: the `prometheus` server scraping a running worker and API
{ command -v promtool >/dev/null && command -v prometheus >/dev/null; } || need+=(prometheus)
# tests/integration/test_ops_page.py: the operations page driven in headless Chromium through Selenium
{ command -v chromium >/dev/null && command -v chromedriver >/dev/null; } || need+=(chromium chromium-driver)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
