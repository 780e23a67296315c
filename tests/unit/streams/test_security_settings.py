"""Kafka SASL/TLS and Redis AUTH/TLS are reachable by configuration alone, and secrets come from the environment
or from files, never shown in a repr, an error or a log line."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from streams.app import worker_config
from streams.settings import Settings, load_settings, secret_fields
from streams.snapshot.connection import RedisConfigError, snapshot_reader_client, snapshot_writer_client

SASL_PASSWORD = "sasl-pw-6f1d2c"
REDIS_PASSWORD = "redis-pw-9a8b7c"


def sasl_settings(mechanism: str, protocol: str = "SASL_SSL", **extra: object) -> Settings:
    return Settings(kafka_bootstrap_servers="broker-1.example.net:9096", kafka_security_protocol=protocol,
                    kafka_sasl_mechanism=mechanism, kafka_sasl_username="distflow",
                    kafka_sasl_password=SecretStr(SASL_PASSWORD), **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_mechanism_user_and_password_reach_the_librdkafka_config(mechanism: str) -> None:
    config = sasl_settings(mechanism).kafka_client_config()

    assert config == {"bootstrap.servers": "broker-1.example.net:9096", "security.protocol": "SASL_SSL",
                      "sasl.mechanism": mechanism, "sasl.username": "distflow", "sasl.password": SASL_PASSWORD}


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_librdkafka_accepts_the_sasl_config_for_producers_and_admin_clients(mechanism: str) -> None:
    config = {**sasl_settings(mechanism, protocol="SASL_PLAINTEXT").kafka_client_config(), "socket.timeout.ms": 100}

    Producer(config).flush(0)  # librdkafka rejects unknown or ill-typed properties at construction
    AdminClient(config)


def test_mutual_tls_files_and_key_password_reach_the_config(tmp_path: Path) -> None:
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_ca_location=str(tmp_path / "ca.pem"),  # type: ignore[arg-type]
                        kafka_ssl_certificate_location=str(tmp_path / "client.pem"),
                        kafka_ssl_key_location=str(tmp_path / "client.key"),
                        kafka_ssl_key_password=SecretStr("key-pw"))

    config = settings.kafka_client_config()

    assert config["security.protocol"] == "SSL"
    assert config["ssl.ca.location"] == str(tmp_path / "ca.pem")
    assert config["ssl.certificate.location"] == str(tmp_path / "client.pem")
    assert config["ssl.key.location"] == str(tmp_path / "client.key")
    assert config["ssl.key.password"] == "key-pw"
    assert "sasl.mechanism" not in config


def test_the_worker_builds_its_clients_from_the_secured_config() -> None:
    settings = sasl_settings("SCRAM-SHA-512", kafka_ssl_ca_location="/etc/ssl/certs/ca-certificates.crt")

    client_config = worker_config(settings).client_config

    assert client_config["security.protocol"] == "SASL_SSL"
    assert client_config["sasl.password"] == SASL_PASSWORD
    assert client_config["ssl.ca.location"] == "/etc/ssl/certs/ca-certificates.crt"


def test_an_unknown_protocol_or_mechanism_is_refused_at_startup() -> None:
    with pytest.raises(ValueError):
        Settings(kafka_security_protocol="SASL_TLS")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Settings(kafka_sasl_mechanism="GSSAPI-ISH")  # type: ignore[arg-type]


def test_redis_password_and_tls_ca_reach_both_redis_clients(tmp_path: Path) -> None:
    settings = Settings(redis_url=SecretStr("rediss://cache.example.net:6380/2"),
                        redis_password=SecretStr(REDIS_PASSWORD), redis_tls_ca_file=str(tmp_path / "ca.pem"))

    writer = snapshot_writer_client(settings).connection_pool
    reader = snapshot_reader_client(settings).connection_pool

    for pool in (writer, reader):
        assert pool.connection_kwargs["password"] == REDIS_PASSWORD
        assert pool.connection_kwargs["ssl_ca_certs"] == str(tmp_path / "ca.pem")
        assert pool.connection_kwargs["host"] == "cache.example.net"
        assert pool.connection_kwargs["port"] == 6380
        assert "SSL" in pool.connection_class.__name__


def test_a_redis_tls_ca_without_a_rediss_url_is_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings(redis_url=SecretStr("redis://cache:6379/0"), redis_tls_ca_file=str(tmp_path / "ca.pem"))

    with pytest.raises(RedisConfigError, match="rediss://"):
        snapshot_writer_client(settings)


def test_every_secret_field_is_a_secret_string() -> None:
    assert set(secret_fields()) == {"kafka_sasl_password", "kafka_ssl_key_password", "schema_registry_basic_auth",
                                    "redis_url", "redis_password", "api_keys"}


def test_secrets_come_from_distflow_field_file_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sasl").write_text(SASL_PASSWORD + "\n")
    (tmp_path / "keys").write_text("k-1234567890abcdef=availability:read")
    monkeypatch.setenv("DISTFLOW_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "sasl"))
    monkeypatch.setenv("DISTFLOW_API_KEYS_FILE", str(tmp_path / "keys"))

    settings = load_settings()

    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == SASL_PASSWORD  # the file's trailing newline dropped
    assert settings.api_keys.get_secret_value() == "k-1234567890abcdef=availability:read"


def test_secrets_come_from_a_secrets_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "redis_password").write_text(REDIS_PASSWORD)
    monkeypatch.setenv("DISTFLOW_SECRETS_DIR", str(tmp_path))

    settings = load_settings()

    assert settings.redis_password is not None and settings.redis_password.get_secret_value() == REDIS_PASSWORD


def test_an_unreadable_secret_file_fails_startup_naming_the_variable_not_the_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTFLOW_REDIS_PASSWORD_FILE", str(tmp_path / "missing"))

    with pytest.raises(ValueError, match="DISTFLOW_REDIS_PASSWORD_FILE"):
        load_settings()


def test_secrets_never_appear_in_repr_dump_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = sasl_settings("PLAIN", redis_password=SecretStr(REDIS_PASSWORD),
                             redis_url=SecretStr(f"redis://:{REDIS_PASSWORD}@cache:6379/0"),
                             api_keys=SecretStr("k-secretkey0001=availability:read"))

    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings loaded: %s", settings)
    shown = repr(settings) + str(settings) + settings.model_dump_json() + caplog.text

    for secret in (SASL_PASSWORD, REDIS_PASSWORD, "k-secretkey0001"):
        assert secret not in shown


def test_a_secrets_directory_may_use_the_prefixed_variable_names(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "DISTFLOW_KAFKA_SASL_PASSWORD").write_text(SASL_PASSWORD + "\r\n")
    monkeypatch.setenv("DISTFLOW_SECRETS_DIR", str(tmp_path))

    settings = load_settings()

    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == SASL_PASSWORD


def test_a_file_variable_wins_over_the_plain_variable_and_the_plain_variable_over_the_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "redis_password").write_text("from-directory")
    (tmp_path / "api_keys").write_text("k-fromdirectory01=availability:read")
    (tmp_path / "file").write_text("from-file")
    monkeypatch.setenv("DISTFLOW_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("DISTFLOW_REDIS_PASSWORD", "from-env")
    monkeypatch.setenv("DISTFLOW_REDIS_PASSWORD_FILE", str(tmp_path / "file"))
    monkeypatch.setenv("DISTFLOW_API_KEYS", "k-fromenvironment=availability:read")

    settings = load_settings()

    assert settings.redis_password is not None and settings.redis_password.get_secret_value() == "from-file"
    assert settings.api_keys.get_secret_value() == "k-fromenvironment=availability:read"
