"""Alert rules and the Grafana dashboard: valid PromQL (promtool), firing as meant, and only declared metrics."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from streams.metrics import WorkerMetrics, metric_names
from tests.deploy.chart import NAMESPACE, Rendered, ci_values, render

# The API process declares its metrics in the API module (streams/api), which will export these names; until it
# does, they are listed here with their types. Names are family names, as prometheus_client declares them.
API_METRICS = {
    "distflow_api_requests": "counter",  # labels route, method, status -> series distflow_api_requests_total
    "distflow_api_request_seconds": "histogram",  # labels route, method
}
# The sample series each metric type exposes (prometheus_client naming).
SERIES_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}
METRIC_NAME = re.compile(r"\bdistflow_[a-z0-9_]+\b")
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
# The seed's business views the dashboard must show (panel titles).
BUSINESS_PANELS = (
    "Order backlog by integration state",
    "Inventory synchronization lag (p95)",
    "Failed return authorisations (per hour)",
    "Delayed acceptance and invoices (SLA breaches per hour)",
    "Duplicate transactions",
    "API throttling",
    "Warehouse event latency",
)
# What each business view must be computed from (series as exposed, so a renamed metric fails here).
PANEL_METRICS = {
    "Order backlog by integration state": "distflow_order_backlog",
    "Inventory synchronization lag (p95)": "distflow_sync_lag_applied_seconds_bucket",
    "Failed return authorisations (per hour)": "distflow_return_authorisations_total",
    "Delayed acceptance and invoices (SLA breaches per hour)": "distflow_sla_breaches_total",
    "Duplicate transactions": "distflow_duplicates_dropped_total",
    "API throttling": "distflow_api_requests_total",
    "Warehouse event latency": "distflow_sync_lag_applied_seconds_bucket",
    "Consumer lag by topic": "distflow_consumer_lag_records",
    "Restore progress": "distflow_restore_offsets_remaining",
    "Order flow: status changes and ERP commands": "distflow_erp_commands_sent_total",
}


@pytest.fixture(scope="module")
def production() -> Rendered:
    return render(ci_values("production-values.yaml"))


@pytest.fixture(scope="module")
def rules_file(production: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PrometheusRule's groups as a plain Prometheus rules file."""
    path = tmp_path_factory.mktemp("rules") / "distflow-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": production.one("PrometheusRule")["spec"]["groups"]}))
    return path


@pytest.fixture(scope="module")
def dashboard(production: Rendered) -> dict[str, Any]:
    config_map = next(m for m in production.kinds("ConfigMap") if "distflow.json" in m["data"])
    return json.loads(config_map["data"]["distflow.json"])


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool not found: run `make system-deps` (Debian package prometheus)"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)


def declared_series() -> set[str]:
    """Every series name distflow exposes: worker metrics as declared in streams.metrics, plus the API's."""
    registry = CollectorRegistry()
    families = metric_names(WorkerMetrics.create(registry))
    types = {family.name: family.type for family in registry.collect()}
    assert families == set(types), "metric_names and the registry disagree"
    types.update(API_METRICS)
    return {name + suffix for name, kind in types.items() for suffix in SERIES_SUFFIXES[kind]}


def referenced_metrics(expressions: Iterable[str]) -> set[str]:
    """distflow_* names in PromQL expressions (label values inside quotes are not names)."""
    return {name for expr in expressions for name in METRIC_NAME.findall(QUOTED.sub('""', expr))}


def alert_rules(rules_path: Path) -> list[dict[str, Any]]:
    groups = yaml.safe_load(rules_path.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for panel in dashboard["panels"] for target in panel.get("targets", [])]


# --- alert rules -------------------------------------------------------------------------------------------------

def test_promtool_accepts_the_alert_rules(rules_file: Path) -> None:
    result = promtool("check", "rules", str(rules_file))

    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_cover_the_operations_signals(rules_file: Path) -> None:
    expressions = {rule["alert"]: rule["expr"] for rule in alert_rules(rules_file)}

    covered = referenced_metrics(expressions.values())

    assert covered >= {
        "distflow_sync_lag_applied_seconds_bucket", "distflow_sync_lag_visible_seconds_bucket",
        "distflow_consumer_lag_records", "distflow_dead_letters_total", "distflow_exceptions_raised_total",
        "distflow_snapshot_entry_age_seconds_bucket", "distflow_snapshot_pending_entries", "distflow_worker_ready",
        "distflow_api_requests_total", "distflow_api_request_seconds_bucket",
    }
    assert 'exception_type=~"sla_breach.*"' in expressions["DistflowSlaBreaches"]


def test_alert_rules_use_only_declared_metrics(rules_file: Path) -> None:
    referenced = referenced_metrics(rule["expr"] for rule in alert_rules(rules_file))

    assert referenced - declared_series() == set()


def test_every_alert_says_how_bad_what_happened_and_where_the_runbook_is(rules_file: Path) -> None:
    for rule in alert_rules(rules_file):
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["labels"]["team"] == "fulfilment-platform", rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert rule["annotations"]["runbook_url"].endswith("#" + rule["alert"].lower()), rule["alert"]
        assert f'namespace="{NAMESPACE}"' in rule["expr"], rule["alert"]


def test_every_alert_has_a_runbook_section(rules_file: Path) -> None:
    runbook = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    sections = set(re.findall(r"(?m)^### (Distflow\w+)$", runbook))

    assert {rule["alert"] for rule in alert_rules(rules_file)} == sections


def series(name: str, values: str, **labels: str) -> dict[str, str]:
    selector = ",".join(f'{key}="{value}"' for key, value in {"namespace": NAMESPACE, **labels}.items())
    return {"series": f"{name}{{{selector}}}", "values": values}


def fired(alertname: str, at: str, *expected_labels: dict[str, str]) -> dict[str, Any]:
    common = {"team": "fulfilment-platform", "namespace": NAMESPACE}
    return {"eval_time": at, "alertname": alertname,
            "exp_alerts": [{"exp_labels": {**common, **labels}} for labels in expected_labels]}


# promtool unit tests: one minute steps, 30 minutes of series
ALERT_UNIT_TESTS = {
    "evaluation_interval": "1m",
    "tests": [{
        "interval": "1m",
        "input_series": [
            series("distflow_worker_ready", "0x30", pod="shop-distflow-worker-2"),
            series("distflow_worker_ready", "1x30", pod="shop-distflow-worker-0"),
            series("distflow_dead_letters_total", "0+60x30", source_topic="wms.picks", reason_code="undecodable"),
            series("distflow_exceptions_raised_total", "0 0 0 0 0 1x25",
                   exception_type="sla_breach_acceptance", owner_team="order-desk"),
            series("distflow_exceptions_raised_total", "0+1x30", exception_type="rma_refused", owner_team="returns"),
            series("distflow_consumer_lag_records", "20000x30", topic="wms.picks", partition="0"),
            series("distflow_consumer_lag_records", "0x30", topic="wms.picks", partition="1"),
            series("distflow_consumer_lag_records", "9000x30", topic="erp.prices", partition="0"),  # under 10,000
        ],
        "alert_rule_test": [
            fired("DistflowWorkerNotReady", "20m",
                  {"severity": "critical", "pod": "shop-distflow-worker-2"}),
            fired("DistflowDeadLetters", "10m",
                  {"severity": "warning", "source_topic": "wms.picks", "reason_code": "undecodable"}),
            fired("DistflowSlaBreaches", "10m",  # rma_refused is no SLA breach
                  {"severity": "warning", "exception_type": "sla_breach_acceptance", "owner_team": "order-desk"}),
            fired("DistflowWorkerMetricsAbsent", "10m"),
            fired("DistflowConsumerLagHigh", "10m"),  # pending: lag must last 15 minutes
            fired("DistflowConsumerLagHigh", "20m", {"severity": "warning", "topic": "wms.picks"}),
        ],
    }],
}


def test_alerts_fire_on_a_stuck_worker_dead_letters_and_sla_breaches_only(rules_file: Path) -> None:
    # promtool compares annotations in full; these tests are about labels and timing, so they are left out
    # (their templates are checked by `promtool check rules` above)
    groups = yaml.safe_load(rules_file.read_text())["groups"]
    for rule in (rule for group in groups for rule in group["rules"]):
        rule.pop("annotations")
    bare_rules = rules_file.parent / "distflow-rules-bare.yaml"
    bare_rules.write_text(yaml.safe_dump({"groups": groups}))
    unit_tests = rules_file.parent / "distflow-rules-test.yaml"
    unit_tests.write_text(yaml.safe_dump({"rule_files": [bare_rules.name], **ALERT_UNIT_TESTS}))

    result = promtool("test", "rules", str(unit_tests))

    assert result.returncode == 0, result.stdout + result.stderr


# --- dashboard -----------------------------------------------------------------------------------------------------

def test_dashboard_configmap_carries_the_grafana_sidecar_label(production: Rendered) -> None:
    config_map = next(m for m in production.kinds("ConfigMap") if "distflow.json" in m["data"])

    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_dashboard_shows_the_business_views(dashboard: dict[str, Any]) -> None:
    titles = {panel["title"] for panel in dashboard["panels"]}

    assert set(BUSINESS_PANELS) <= titles


def test_each_business_view_is_computed_from_its_metric(dashboard: dict[str, Any]) -> None:
    panels = {panel["title"]: panel for panel in dashboard["panels"]}

    for title, metric in PANEL_METRICS.items():
        assert metric in referenced_metrics(t["expr"] for t in panels[title]["targets"]), title
    assert 'status="429"' in " ".join(t["expr"] for t in panels["API throttling"]["targets"])
    assert 'source_system="wms"' in " ".join(t["expr"] for t in panels["Warehouse event latency"]["targets"])
    assert 'outcome="refused"' in panels["Failed return authorisations (per hour)"]["targets"][0]["expr"]


def test_dashboard_queries_use_only_declared_metrics(dashboard: dict[str, Any]) -> None:
    referenced = referenced_metrics(target["expr"] for target in dashboard_targets(dashboard))

    assert referenced, "no queries found"
    assert referenced - declared_series() == set()


def test_dashboard_queries_are_valid_promql_scoped_to_the_chosen_namespace(dashboard: dict[str, Any],
                                                                           tmp_path: Path) -> None:
    # promtool checks expressions inside rule files: each query becomes a recording rule, Grafana's variables
    # replaced by the values Grafana would substitute.
    rules = []
    for number, target in enumerate(dashboard_targets(dashboard)):
        assert 'namespace="$namespace"' in target["expr"], target["expr"]
        expr = target["expr"].replace("$__rate_interval", "5m").replace("$namespace", NAMESPACE)
        rules.append({"record": f"dashboard:query_{number}", "expr": expr})
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))

    result = promtool("check", "rules", str(path))

    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_panels_do_not_overlap(dashboard: dict[str, Any]) -> None:
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not area & cells, panel["title"]
        cells |= area
