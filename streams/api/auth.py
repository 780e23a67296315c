"""API keys with scopes, from DISTFLOW_API_KEYS ('key=scope1,scope2;key2=scope').

A presented key is compared with every configured key in constant time (hmac.compare_digest over SHA-256 digests,
so neither which key matched nor the keys' lengths show in the timing). Keys never reach a log line: a client is
known by `client_id`, a short fingerprint of its key.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

AVAILABILITY_READ = "availability:read"
MIN_KEY_LENGTH = 16
SCOPE_PATTERN = re.compile(r"[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*")


class ApiKeyConfigError(ValueError):
    """DISTFLOW_API_KEYS is malformed. The message never contains a key.

    Operator action: fix the secret to 'key=scope1,scope2;key2=scope', keys of at least 16 characters.
    """


@dataclass(frozen=True, slots=True)
class ApiClient:
    client_id: str  # "key-" + 10 hex of the key's SHA-256: safe to log, rate-limit by, and correlate
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class ApiKeyAuthenticator:
    def __init__(self, configured: SecretStr) -> None:
        self._clients = _parse(configured.get_secret_value())

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def identify(self, presented: str | None) -> ApiClient | None:
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode()).digest()
        found = None
        for key_digest, client in self._clients:  # every key, always: no early exit
            if hmac.compare_digest(digest, key_digest):
                found = client
        return found


def presented_key(headers: Mapping[str, str]) -> str | None:
    """'Authorization: Bearer <key>' first, then 'X-API-Key: <key>'."""
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return headers.get("X-API-Key", "").strip() or None


def _parse(text: str) -> list[tuple[bytes, ApiClient]]:
    clients: list[tuple[bytes, ApiClient]] = []
    for number, item in enumerate(filter(None, (part.strip() for part in text.split(";"))), start=1):
        key, separator, scope_list = (part.strip() for part in item.partition("="))
        scopes = frozenset(scope.strip() for scope in scope_list.split(",") if scope.strip())
        if not separator or len(key) < MIN_KEY_LENGTH or any(char.isspace() for char in key):
            raise ApiKeyConfigError(f"DISTFLOW_API_KEYS entry {number}: expected 'key=scope1,scope2' with a key of "
                                    f"at least {MIN_KEY_LENGTH} non-blank characters")
        bad = sorted(scope for scope in scopes if not SCOPE_PATTERN.fullmatch(scope))
        if not scopes or bad:
            raise ApiKeyConfigError(f"DISTFLOW_API_KEYS entry {number}: scopes look like 'availability:read', "
                                    f"got {bad or 'none'}")
        digest = hashlib.sha256(key.encode()).digest()
        if any(hmac.compare_digest(digest, known) for known, _ in clients):
            raise ApiKeyConfigError(f"DISTFLOW_API_KEYS entry {number}: the same key is configured twice")
        clients.append((digest, ApiClient(f"key-{digest.hex()[:10]}", scopes)))
    return clients
