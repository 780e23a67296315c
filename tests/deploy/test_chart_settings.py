"""The chart's ConfigMap and Secret against streams/settings.py: every setting reachable, secrets only in the Secret,
and the rendered environment accepted by the real Settings object."""
from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from streams.settings import Settings
from tests.deploy.chart import Rendered, ci_values, container, name_of, pod_spec, render, secret_values, volume

ENV_PREFIX = "DISTFLOW_"
POLICY_ENV: set[str] = set()  # every DISTFLOW_* variable of the chart is a field of Settings
SENTINEL = "S3cr3t-sentinel"
# Every optional value set, secrets set to recognisable sentinels.
EVERYTHING: dict[str, Any] = {
    "kafka": {
        "bootstrapServers": "k1:9093,k2:9093",
        "securityProtocol": "SASL_SSL",
        "sasl": {"mechanism": "SCRAM-SHA-256", "username": "distflow"},
        "tls": {"existingSecret": "kafka-tls", "caKey": "ca.crt", "certKey": "tls.crt", "keyKey": "tls.key"},
    },
    "topics": {"prefix": "stage.", "partitions": 12},
    "schemaRegistry": {"url": "https://registry:8081"},
    "redis": {"tls": {"existingSecret": "redis-tls", "caKey": "ca.pem"}},
    "secrets": {
        "redisUrl": f"rediss://:{SENTINEL}-url@redis:6380/0",
        "redisPassword": f"{SENTINEL}-redis",
        "kafkaSaslPassword": f"{SENTINEL}-sasl",
        "kafkaSslKeyPassword": f"{SENTINEL}-key",
        "schemaRegistryBasicAuth": f"registry:{SENTINEL}-registry",
        "apiKeys": f"{SENTINEL}-key1=read,write",
    },
    "sourcingPolicy": {
        "locationPriority": ["DC-EAST", "DC-WEST"],
        "maxLocationsPerLine": 3,
        "dropShip": {"skus": ["SOFA-OAK-3S"], "suppliers": ["SUP-NORDIC"]},
        "leadTimeDays": {"byLocation": {"DC-EAST": 1}, "bySupplier": {"SUP-NORDIC": 10}},
    },
    "sla": {"orderAcceptanceSeconds": 600, "allocationSeconds": 900, "shipmentConfirmationSeconds": 86400,
            "returnCompletionSeconds": 1209600},
    "serviceMonitor": {"enabled": True},
    "prometheusRule": {"enabled": True},
    "dashboards": {"enabled": True},
}


@pytest.fixture(scope="module")
def everything() -> Rendered:
    return render(EVERYTHING)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


SECRET_ENV = {env_name(name) for name, info in Settings.model_fields.items() if is_secret(info.annotation)}
PLAIN_ENV = {env_name(name) for name, info in Settings.model_fields.items() if not is_secret(info.annotation)}


def release_config(rendered: Rendered) -> dict[str, str]:
    worker = rendered.one("StatefulSet")
    config_name = container(worker, "worker")["envFrom"][0]["configMapRef"]["name"]
    return dict(rendered.named("ConfigMap", config_name)["data"])


def release_secret(rendered: Rendered) -> dict[str, str]:
    worker = rendered.one("StatefulSet")
    secret_name = container(worker, "worker")["envFrom"][1]["secretRef"]["name"]
    return secret_values(rendered.named("Secret", secret_name))


def test_every_setting_can_be_set_from_values(everything: Rendered) -> None:
    env = {key for key in release_config(everything) | release_secret(everything) if key.startswith(ENV_PREFIX)}

    assert PLAIN_ENV | SECRET_ENV <= env, "settings the chart cannot set"
    assert env - PLAIN_ENV - SECRET_ENV == POLICY_ENV, "chart env vars that are no setting"


def test_secret_settings_are_in_the_secret_and_nowhere_else(everything: Rendered) -> None:
    config = release_config(everything)

    secret = release_secret(everything)

    assert set(secret) == SECRET_ENV
    assert SECRET_ENV.isdisjoint(config)
    for manifest in everything.manifests:
        if manifest["kind"] != "Secret":
            assert SENTINEL not in json.dumps(manifest), f"a secret leaked into {manifest['kind']} {name_of(manifest)}"
    assert SENTINEL not in everything.notes


def test_rendered_environment_is_accepted_by_the_settings_object(everything: Rendered,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (release_config(everything) | release_secret(everything)).items():
        if key.startswith(ENV_PREFIX):
            monkeypatch.setenv(key, value)

    settings = Settings()
    kafka = settings.kafka_client_config()

    assert kafka["bootstrap.servers"] == "k1:9093,k2:9093"
    assert kafka["security.protocol"] == "SASL_SSL"
    assert kafka["sasl.mechanism"] == "SCRAM-SHA-256"
    assert kafka["sasl.password"] == f"{SENTINEL}-sasl"
    assert kafka["ssl.ca.location"] == "/etc/distflow/kafka-tls/ca.crt"
    assert kafka["ssl.key.location"] == "/etc/distflow/kafka-tls/tls.key"
    assert settings.redis_tls_ca_file == "/etc/distflow/redis-tls/ca.pem"
    assert settings.topic_partitions == 12
    assert settings.dedupe_window_ms == 86_400_000
    assert settings.api_host == "0.0.0.0"
    assert settings.api_keys.get_secret_value() == f"{SENTINEL}-key1=read,write"


def test_minimal_install_environment_is_accepted_by_the_settings_object(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = render(ci_values("minimal-values.yaml"))
    for key, value in (release_config(rendered) | release_secret(rendered)).items():
        if key.startswith(ENV_PREFIX):
            monkeypatch.setenv(key, value)

    settings = Settings()

    assert settings.kafka_client_config() == {"bootstrap.servers": "kafka.kafka.svc:9092",
                                              "security.protocol": "PLAINTEXT"}
    assert settings.redis_url.get_secret_value() == "redis://redis-master.redis.svc:6379/0"


def test_tls_files_are_mounted_where_the_settings_point(everything: Rendered) -> None:
    config = release_config(everything)
    for workload in (everything.one("StatefulSet"), everything.one("Deployment"), everything.one("Job")):
        mounts = {m["name"]: m["mountPath"] for m in pod_spec(workload)["containers"][0]["volumeMounts"]}

        assert volume(workload, "kafka-tls") == {"name": "kafka-tls",
                                                 "secret": {"secretName": "kafka-tls", "defaultMode": 0o440}}
        assert volume(workload, "redis-tls")["secret"]["secretName"] == "redis-tls"
        for setting, mount in [("DISTFLOW_KAFKA_SSL_CA_LOCATION", "kafka-tls"),
                               ("DISTFLOW_KAFKA_SSL_CERTIFICATE_LOCATION", "kafka-tls"),
                               ("DISTFLOW_KAFKA_SSL_KEY_LOCATION", "kafka-tls"),
                               ("DISTFLOW_REDIS_TLS_CA_FILE", "redis-tls")]:
            assert Path(config[setting]).parent == Path(mounts[mount]), setting


def test_slas_and_sourcing_policy_reach_the_pods(everything: Rendered) -> None:
    config = release_config(everything)
    worker = everything.one("StatefulSet")
    policy_mount = next(m for m in container(worker, "worker")["volumeMounts"] if m["name"] == "policy")

    policy = json.loads(config["sourcing-policy.json"])

    assert config["DISTFLOW_SLA_ORDER_ACCEPTANCE_SECONDS"] == "600"
    assert config["DISTFLOW_SLA_RETURN_COMPLETION_SECONDS"] == "1209600"
    assert config["DISTFLOW_SOURCING_POLICY_FILE"] == policy_mount["mountPath"] + "/sourcing-policy.json"
    assert volume(worker, "policy")["configMap"]["items"] == [{"key": "sourcing-policy.json",
                                                              "path": "sourcing-policy.json"}]
    assert policy == {
        "location_priority": ["DC-EAST", "DC-WEST"],
        "max_locations_per_line": 3,
        "drop_ship_skus": ["SOFA-OAK-3S"],
        "drop_ship_suppliers": ["SUP-NORDIC"],
        "lead_time_days_by_location": {"DC-EAST": 1},
        "lead_time_days_by_supplier": {"SUP-NORDIC": 10},
    }


def test_production_reads_secrets_from_the_existing_secret_and_speaks_sasl_ssl_scram() -> None:
    rendered = render(ci_values("production-values.yaml"))
    config = release_config(rendered)

    env_from = container(rendered.one("StatefulSet"), "worker")["envFrom"]

    assert env_from[1] == {"secretRef": {"name": "distflow-secrets"}}
    assert rendered.kinds("Secret") == []
    assert config["DISTFLOW_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config["DISTFLOW_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert config["DISTFLOW_KAFKA_SSL_CA_LOCATION"] == "/etc/distflow/kafka-tls/ca.crt"
