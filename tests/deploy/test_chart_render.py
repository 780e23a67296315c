"""The Helm chart renders, lints, validates against the Kubernetes schemas, and has the properties operators rely on."""
from __future__ import annotations

import hashlib
import re
from copy import deepcopy
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

from tests.deploy.chart import (
    CI_VALUES,
    NAMESPACE,
    Rendered,
    annotations_of,
    ci_values,
    component_of,
    container,
    lint,
    name_of,
    pod_spec,
    pod_specs,
    render,
    volume,
)

MINIMAL = "minimal-values.yaml"
PRODUCTION = "production-values.yaml"
# The chart declares kubeVersion >=1.25; check the oldest and the newest schemas the wheel bundles.
KUBE_VERSIONS = ("1.25", kubernetes_validate.utils.latest_version())
# prometheus-operator kinds are not in the Kubernetes schemas: the PrometheusRule's groups go through
# `promtool check rules` (test_chart_monitoring.py) and the ServiceMonitor's fields are asserted below.
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}


def with_values(base: str, **overrides: Any) -> dict[str, Any]:
    """A ci values file with dotted-path overrides, e.g. with_values(MINIMAL, **{"worker.replicas": 2})."""
    values = deepcopy(ci_values(base))
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = values
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return values


@pytest.fixture(scope="module", params=[path.name for path in CI_VALUES])
def ci_render(request: pytest.FixtureRequest) -> Rendered:
    return render(ci_values(request.param))


@pytest.fixture(scope="module")
def production() -> Rendered:
    return render(ci_values(PRODUCTION))


@pytest.fixture(scope="module")
def minimal() -> Rendered:
    return render(ci_values(MINIMAL))


# --- lint and schemas --------------------------------------------------------------------------------------------

def test_both_ci_value_sets_exist() -> None:
    assert {path.name for path in CI_VALUES} >= {MINIMAL, PRODUCTION}


@pytest.mark.parametrize("values_file", [path.name for path in CI_VALUES])
def test_chart_lints_clean_with_each_ci_values_file(values_file: str) -> None:
    assert lint(ci_values(values_file)) == []


def test_lint_of_bare_defaults_asks_for_the_redis_url() -> None:
    findings = lint()

    assert any("redisUrl" in finding["error"] for finding in findings), findings


def test_every_rendered_manifest_is_valid_for_kubernetes(ci_render: Rendered) -> None:
    checked = 0
    for manifest in ci_render.manifests:
        if manifest["kind"] in CUSTOM_KINDS:
            assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
            continue
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(manifest, version, strict=True)
        checked += 1

    assert checked >= 10


@pytest.mark.parametrize("overrides, complaint", [
    ({"image.pullPolicy": "Sometimes"}, "pullPolicy"),
    ({"kafka.securityProtocol": "SASL_TLS"}, "securityProtocol"),
    ({"kafka.securityProtocol": "SASL_SSL"}, "mechanism"),
    ({"kafka.sasl": {"mechanism": "SCRAM-SHA-1", "username": "u"}}, "mechanism"),
    ({"worker.replica": 3}, "replica"),
    ({"secrets.redisUrl": ""}, "redisUrl"),
    ({"worker.replicas": "six"}, "replicas"),
])
def test_values_schema_refuses_mistakes_before_anything_is_deployed(overrides: dict[str, Any],
                                                                     complaint: str) -> None:
    with pytest.raises(helm_python.HelmValuesError, match=complaint):
        render(with_values(MINIMAL, **overrides))


def test_values_yaml_points_editors_at_the_schema() -> None:
    from tests.deploy.chart import CHART_DIR

    first_line = (CHART_DIR / "values.yaml").read_text().splitlines()[0]

    assert first_line == "# yaml-language-server: $schema=values.schema.json"


# --- workers -------------------------------------------------------------------------------------------------------

def test_workers_keep_rocksdb_state_on_a_claim_per_pod_by_default(minimal: Rendered) -> None:
    worker = minimal.one("StatefulSet")

    claims = worker["spec"]["volumeClaimTemplates"]

    assert [claim["metadata"]["name"] for claim in claims] == ["state"]
    assert claims[0]["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert volume(worker, "state") is None


def test_state_volume_is_mounted_where_distflow_state_dir_points(minimal: Rendered) -> None:
    worker = minimal.one("StatefulSet")
    config = minimal.named("ConfigMap", f"{name_of(worker).removesuffix('-worker')}-config")

    mount = next(m for m in container(worker, "worker")["volumeMounts"] if m["name"] == "state")

    assert mount["mountPath"] == config["data"]["DISTFLOW_STATE_DIR"]


def test_without_persistence_workers_use_an_emptydir_still_mounted_as_state() -> None:
    rendered = render(with_values(MINIMAL, **{"worker.persistence.enabled": False,
                                              "worker.persistence.emptyDirSizeLimit": "5Gi"}))
    worker = rendered.one("StatefulSet")

    state = volume(worker, "state")

    assert "volumeClaimTemplates" not in worker["spec"]
    assert state == {"name": "state", "emptyDir": {"sizeLimit": "5Gi"}}
    assert any(m["name"] == "state" for m in container(worker, "worker")["volumeMounts"])


def test_storage_class_dash_means_no_storage_class() -> None:
    rendered = render(with_values(MINIMAL, **{"worker.persistence.storageClass": "-"}))

    claim = rendered.one("StatefulSet")["spec"]["volumeClaimTemplates"][0]

    assert claim["spec"]["storageClassName"] == ""


def test_workers_are_ready_on_readyz_and_alive_on_healthz_of_their_metrics_port(minimal: Rendered) -> None:
    worker = container(minimal.one("StatefulSet"), "worker")

    port = next(p for p in worker["ports"] if p["name"] == "http")

    assert worker["args"] == ["worker"]
    assert port["containerPort"] == 9102
    assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_headless_service_lists_restoring_workers_so_prometheus_still_scrapes_them(minimal: Rendered) -> None:
    worker = minimal.one("StatefulSet")
    service = minimal.one("Service", "worker")

    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["publishNotReadyAddresses"] is True
    assert worker["spec"]["serviceName"] == name_of(service)
    assert service["spec"]["selector"] == worker["spec"]["selector"]["matchLabels"]


def test_config_change_rolls_the_pods_through_the_checksum_annotation(minimal: Rendered) -> None:
    changed = render(with_values(MINIMAL, **{"logging.level": "DEBUG"}))

    def checksum(rendered: Rendered, kind: str) -> str:
        return rendered.one(kind)["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    config_source = next(text for path, text in minimal.sources.items() if path.endswith("/configmap.yaml"))
    assert checksum(minimal, "StatefulSet") == hashlib.sha256(config_source.encode()).hexdigest()
    assert checksum(changed, "StatefulSet") != checksum(minimal, "StatefulSet")
    assert checksum(changed, "Deployment") != checksum(minimal, "Deployment")


def test_production_runs_six_workers_with_a_disruption_budget(production: Rendered) -> None:
    worker = production.one("StatefulSet")
    budget = production.one("PodDisruptionBudget", "worker")

    assert worker["spec"]["replicas"] == 6
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == worker["spec"]["selector"]


# --- API -------------------------------------------------------------------------------------------------------------

def test_api_is_autoscaled_with_a_disruption_budget(minimal: Rendered) -> None:
    api = minimal.one("Deployment")
    hpa = minimal.one("HorizontalPodAutoscaler")
    budget = minimal.one("PodDisruptionBudget", "api")

    assert "replicas" not in api["spec"], "the HPA owns the replica count"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name_of(api)}
    assert budget["spec"]["selector"] == api["spec"]["selector"]


def test_without_autoscaling_the_api_has_fixed_replicas() -> None:
    rendered = render(with_values(MINIMAL, **{"api.autoscaling.enabled": False, "api.replicas": 3}))

    assert rendered.kinds("HorizontalPodAutoscaler") == []
    assert rendered.one("Deployment")["spec"]["replicas"] == 3


def test_api_service_reaches_the_api_port_and_stays_in_it_while_redis_is_down(minimal: Rendered) -> None:
    api = minimal.one("Deployment")
    service = minimal.one("Service", "api")
    api_container = container(api, "api")

    assert api_container["args"] == ["api"]
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in api_container["ports"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
    # readiness on /healthz: a Redis outage must reach storefronts as 503 bodies, not as an empty Service
    assert api_container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert api_container["livenessProbe"]["httpGet"]["path"] == "/healthz"


# --- security --------------------------------------------------------------------------------------------------------

def test_every_pod_runs_non_root_with_a_read_only_root_and_no_capabilities(ci_render: Rendered) -> None:
    pods = dict(pod_specs(ci_render))
    assert len(pods) == 4, sorted(pods)  # worker, API, topics-apply Job, helm test Pod

    for where, spec in pods.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        tmp = next(v for v in spec["volumes"] if v["name"] == "tmp")
        assert "emptyDir" in tmp, where
        for box in spec["containers"]:
            context = box["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert {"name": "tmp", "mountPath": "/tmp"} in box["volumeMounts"], where
            assert box["resources"]["requests"] and box["resources"]["limits"], where


def test_resources_come_from_values() -> None:
    rendered = render(with_values(MINIMAL, **{"worker.resources": {"requests": {"cpu": "3", "memory": "5Gi"},
                                                                   "limits": {"memory": "6Gi"}}}))

    resources = container(rendered.one("StatefulSet"), "worker")["resources"]

    assert resources == {"requests": {"cpu": "3", "memory": "5Gi"}, "limits": {"memory": "6Gi"}}


# --- hooks -----------------------------------------------------------------------------------------------------------

def test_topics_are_applied_by_a_hook_job_before_install_and_upgrade(minimal: Rendered) -> None:
    job = minimal.one("Job")
    job_container = container(job, "topics-apply")
    config_name = job_container["envFrom"][0]["configMapRef"]["name"]
    secret_name = job_container["envFrom"][1]["secretRef"]["name"]
    hook_config = minimal.named("ConfigMap", config_name)
    hook_secret = minimal.named("Secret", secret_name)

    assert job_container["command"] + job_container["args"] == ["distflow", "topics", "apply"]
    assert annotations_of(job)["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert pod_spec(job)["restartPolicy"] == "Never"
    for hook_input in (hook_config, hook_secret):
        # hooks run before the release's own objects exist: the Job reads copies created just before it
        assert annotations_of(hook_input)["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(annotations_of(hook_input)["helm.sh/hook-weight"]) < int(annotations_of(job)["helm.sh/hook-weight"])
    release_config = minimal.named("ConfigMap", name_of(minimal.one("StatefulSet")).removesuffix("-worker") + "-config")
    assert hook_config["data"] == release_config["data"]


def test_topics_apply_job_reads_the_existing_secret_when_one_is_given(production: Rendered) -> None:
    job_container = container(production.one("Job"), "topics-apply")

    assert job_container["envFrom"][1] == {"secretRef": {"name": "distflow-secrets"}}
    assert production.kinds("Secret") == []


def test_helm_test_pod_calls_the_api_readyz_through_its_service(minimal: Rendered) -> None:
    pod = minimal.one("Pod")
    service = minimal.one("Service", "api")

    url = container(pod, "readyz")["command"][-1]

    assert annotations_of(pod)["helm.sh/hook"] == "test"
    assert url == f"http://{name_of(service)}:{service['spec']['ports'][0]['port']}/readyz"


def test_hooks_and_tests_can_be_switched_off() -> None:
    rendered = render(with_values(MINIMAL, **{"topics.apply.enabled": False, "tests.enabled": False}))

    assert rendered.hooks() == []


# --- toggles, names, notes -------------------------------------------------------------------------------------------

def test_monitoring_objects_are_off_by_default_and_on_in_production(minimal: Rendered, production: Rendered) -> None:
    monitoring = ("ServiceMonitor", "PrometheusRule")

    assert [m for m in minimal.manifests if m["kind"] in monitoring] == []
    assert production.one("ServiceMonitor")["kind"] == "ServiceMonitor"
    assert production.one("PrometheusRule")["kind"] == "PrometheusRule"


def test_service_monitor_scrapes_workers_and_api_on_their_http_ports(production: Rendered) -> None:
    monitor = production.one("ServiceMonitor")
    services = production.kinds("Service")

    selector = monitor["spec"]["selector"]
    selected = [s for s in services
                if selector["matchLabels"].items() <= s["metadata"]["labels"].items()
                and component_of(s) in selector["matchExpressions"][0]["values"]]

    assert {component_of(s) for s in selected} == {"worker", "api"}
    assert all(any(p["name"] == "http" for p in s["spec"]["ports"]) for s in selected)
    assert monitor["spec"]["endpoints"][0]["port"] == "http"
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_every_object_lives_in_the_release_namespace_with_a_short_name(ci_render: Rendered) -> None:
    for manifest in ci_render.manifests:
        assert manifest["metadata"]["namespace"] == NAMESPACE, name_of(manifest)
        assert len(name_of(manifest)) <= 63, name_of(manifest)


def test_long_release_names_are_truncated_to_valid_object_names() -> None:
    values = with_values(MINIMAL, fullnameOverride="a" * 70)

    rendered = render(values)

    for manifest in rendered.manifests:
        assert len(name_of(manifest)) <= 63, name_of(manifest)
    assert len({(m["kind"], name_of(m)) for m in rendered.manifests}) == len(rendered.manifests)


def test_notes_tell_how_to_reach_the_api_check_readiness_and_see_metrics(minimal: Rendered) -> None:
    api_service = name_of(minimal.one("Service", "api"))

    assert f"svc/{api_service}" in minimal.notes
    assert "/readyz" in minimal.notes
    assert "/metrics" in minimal.notes


def test_readme_documents_every_value() -> None:
    from tests.deploy.chart import CHART_DIR

    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    readme = (CHART_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Za-z0-9_.]+)` \|", readme, flags=re.MULTILINE))

    undocumented = [path for path in leaf_paths(values)
                    if not any(path == key or path.startswith(key + ".") for key in documented)]

    assert undocumented == []


def leaf_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [path for key, value in node.items() for path in leaf_paths(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]
