"""One typed settings object, read from DISTFLOW_* environment variables (and secret files).

Secrets are SecretStr: they print as '**********' in logs, reprs and errors. A secret may also come from a file:
DISTFLOW_<FIELD>_FILE, or a file named after the field in DISTFLOW_SECRETS_DIR (a mounted Kubernetes Secret).
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SecurityProtocol(str, Enum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"


class SaslMechanism(str, Enum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISTFLOW_", extra="ignore")

    app_id: str = "distflow"
    topic_prefix: str = ""
    topic_partitions: int | None = Field(None, ge=1, description="override every topic's partition count (dev/tests)")
    topic_replication_factor: int = Field(1, ge=1)

    # Kafka: bootstrap + security, enough for any real cluster
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: str | None = None
    kafka_ssl_certificate_location: str | None = None
    kafka_ssl_key_location: str | None = None
    kafka_ssl_key_password: SecretStr | None = None
    kafka_session_timeout_ms: int = 45_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_max_poll_interval_ms: int = 300_000
    kafka_fetch_wait_max_ms: int = Field(
        10, ge=1, le=60_000,
        description="the longest a worker's fetch waits at the broker for records (librdkafka fetch.wait.max.ms). "
                    "Kafka answers a waiting fetch as soon as a record arrives, so there a longer wait (the "
                    "chart's 500) costs no latency and saves idle fetch requests; the embedded Tansu broker "
                    "answers only when the wait is over, so the default is short (docs/performance.md)")
    kafka_idempotent_producer: bool = True
    exactly_once: bool = Field(False, description="Kafka transactions (real Kafka only); default at-least-once")

    schema_registry_url: str | None = None
    schema_registry_basic_auth: SecretStr | None = Field(None, description="user:password")

    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    redis_password: SecretStr | None = None
    redis_tls_ca_file: str | None = None
    redis_key_prefix: str = "distflow:"

    # worker
    state_dir: Path = Path("var/state")
    batch_max_records: int = Field(20_000, ge=1, description="most records in one batch. Under a backlog a larger "
                                                            "batch keeps one state write, changelog record, output "
                                                            "and snapshot entry per key for more records")
    batch_max_bytes: int = Field(8 * 1024 * 1024, ge=1,
                                 description="most bytes of record values in one batch (about: the record that "
                                             "crosses it is taken); bounds a batch's memory when records are large")
    batch_poll_timeout_ms: int = Field(20, ge=1)
    handoff_in_process: bool = Field(True, description="apply a translated command in the worker that translated "
                                                        "it when that worker owns its SKU, instead of a round trip "
                                                        "through distflow.inventory-commands")
    handoff_max_per_batch: int = Field(50_000, ge=1, description="records one batch may hand over in process; "
                                                                 "beyond it they go through their topic "
                                                                 "(bounds a batch's memory when orders have "
                                                                 "many lines: a RESERVE each)")
    worker_metrics_port: int = 9102
    dedupe_window_ms: int = Field(24 * 60 * 60 * 1000, ge=1)
    dedupe_window_max_ids: int = Field(256, ge=1)
    snapshot_flush_interval_ms: int = Field(5, ge=1)

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    api_keys: SecretStr = Field(SecretStr(""), description="'key=scope1,scope2;key2=scope' pairs")
    api_rate_limit_per_s: float = 200.0
    api_rate_limit_burst: int = 400
    api_read_your_writes_wait_ms: int = 200
    api_batch_max_skus: int = Field(500, ge=1, le=5_000, description="most SKUs in one POST /v1/availability/query")
    api_redis_timeout_ms: int = Field(500, ge=1, description="Redis connect/read timeout of the API (then 503)")
    api_channels: str = Field("", description="'channel=LOC1,LOC2;channel2=LOC3': which locations sell to a channel")
    api_near_cache_entries: int = Field(100_000, ge=0, description="availability entries the API keeps in process, "
                                        "kept fresh by Redis invalidations (CLIENT TRACKING); 0: no near cache")
    api_near_cache_refresh_ahead: bool = Field(True, description="read a cached SKU again as soon as it is "
                                               "invalidated (one Redis read per write per API process), so the "
                                               "next request for it is a hit")

    # snapshot (worker side of the Redis read model)
    snapshot_redis_timeout_ms: int = Field(2_000, ge=1, description="Redis connect/read timeout of a flush")
    snapshot_heartbeat_interval_ms: int = Field(1_000, ge=1, description="an idle writer refreshes its heartbeat")

    # orders: business SLAs, sourcing policy, ERP protection
    sla_order_acceptance_seconds: int = Field(1_800, ge=1, description="placed → the ERP's verdict")
    sla_allocation_seconds: int = Field(14_400, ge=1, description="accepted → every open unit allocated")
    sla_shipment_confirmation_seconds: int = Field(172_800, ge=1, description="fulfilment request → shipped")
    sla_return_completion_seconds: int = Field(1_209_600, ge=1, description="return requested → completed")
    credit_hold_timeout_seconds: int = Field(259_200, ge=1, description="a credit hold not released by then "
                                                                        "cancels the order and releases its stock")
    held_fact_timeout_seconds: int = Field(3_600, ge=1, description="an early event waits this long for its order")
    sourcing_policy_file: Path | None = Field(None, description="sourcing-policy.json (see docs/orders.md)")
    erp_rate_limit_per_s: float = Field(20.0, gt=0, description="ERP commands per second, per worker")
    erp_rate_limit_burst: int = Field(40, ge=1, description="ERP commands sent at once after a quiet spell")
    exception_routing: str = Field("", description="'type=team;type2=team2': owning team per exception type, "
                                   "overriding the catalog's (streams/exceptions_catalog.py)")

    log_level: str = "INFO"
    log_format: str = Field("json", pattern="^(json|text)$")

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("DISTFLOW_KAFKA_BOOTSTRAP_SERVERS is empty")
        return value

    def kafka_client_config(self) -> dict[str, str]:
        """librdkafka settings shared by every consumer, producer and admin client."""
        config: dict[str, str] = {
            "bootstrap.servers": self.kafka_bootstrap_servers,
            "security.protocol": self.kafka_security_protocol.value,
        }
        if self.kafka_sasl_mechanism is not None:
            config["sasl.mechanism"] = self.kafka_sasl_mechanism.value
            config["sasl.username"] = self.kafka_sasl_username or ""
            config["sasl.password"] = _reveal(self.kafka_sasl_password)
        optional = {
            "ssl.ca.location": self.kafka_ssl_ca_location,
            "ssl.certificate.location": self.kafka_ssl_certificate_location,
            "ssl.key.location": self.kafka_ssl_key_location,
            "ssl.key.password": _reveal(self.kafka_ssl_key_password) or None,
        }
        config.update({key: value for key, value in optional.items() if value})
        return config


def _reveal(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def secret_fields() -> tuple[str, ...]:
    """The fields that hold secrets (SecretStr): the only ones read from DISTFLOW_<FIELD>_FILE."""
    return tuple(name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation))


def secrets_from_files(environ: Mapping[str, str]) -> dict[str, SecretStr]:
    """Secrets kept in files, e.g. a Kubernetes or Docker secret mounted as a volume, so that the value itself is
    never in the environment: DISTFLOW_<FIELD>_FILE=/path, or a file named after the field (`redis_password`, or
    `DISTFLOW_REDIS_PASSWORD`) in DISTFLOW_SECRETS_DIR. The content is the secret, one trailing newline dropped."""
    found: dict[str, SecretStr] = {}
    directory = environ.get("DISTFLOW_SECRETS_DIR")
    for name in secret_fields():
        variable = f"DISTFLOW_{name.upper()}_FILE"
        if environ.get(variable):
            found[name] = _read_secret(Path(environ[variable]), variable)
        elif directory:
            for candidate in (Path(directory) / name, Path(directory) / f"DISTFLOW_{name.upper()}"):
                if candidate.is_file():
                    found[name] = _read_secret(candidate, "DISTFLOW_SECRETS_DIR")
                    break
    return found


def _read_secret(path: Path, origin: str) -> SecretStr:
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{origin}: cannot read {path} ({error.strerror})") from None
    return SecretStr(content.removesuffix("\n").removesuffix("\r"))


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; secrets may instead come from files (see secrets_from_files). Precedence:
    explicit overrides, then DISTFLOW_<FIELD>_FILE, then DISTFLOW_<FIELD>, then DISTFLOW_SECRETS_DIR."""
    import os

    from_files = {name: value for name, value in secrets_from_files(os.environ).items()
                  if f"DISTFLOW_{name.upper()}_FILE" in os.environ or f"DISTFLOW_{name.upper()}" not in os.environ}
    return Settings(**{**from_files, **overrides})  # type: ignore[arg-type]
