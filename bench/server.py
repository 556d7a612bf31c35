"""Run the real app under gunicorn on 127.0.0.1 for the load benchmarks, and stop it again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess  # nosec B404  # starts our own gunicorn on loopback
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
#: The gunicorn settings every benchmark uses, the bare "hello" app included.
WORKERS = 4
THREADS = 2
SECRET_KEY = "bench-secret-key-of-the-load-benchmarks"  # nosec B105  # throw-away bench servers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of a production-like Touchbase process on *database_url*."""
    from app.push import vapid

    env = dict(os.environ)
    env.update({
        "TOUCHBASE_ENV": "production",
        "TOUCHBASE_SECRET_KEY": SECRET_KEY,
        "TOUCHBASE_SQLALCHEMY_DATABASE_URI": database_url,
        "TOUCHBASE_VAPID_PRIVATE_KEY": _vapid_key(vapid),
        # Production refuses to start without a mail server; nothing here sends mail.
        "TOUCHBASE_MAIL_SERVER": "127.0.0.1",
        "TOUCHBASE_MAIL_DEFAULT_SENDER": "Touchbase <touchbase@localhost>",
        "TOUCHBASE_PUBLIC_URL": "https://touchbase.example.com",
        "TOUCHBASE_RATELIMIT_ENABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


_KEY: list[str] = []


def _vapid_key(vapid) -> str:
    if not _KEY:
        _KEY.append(vapid.new_private_key_pem())
    return _KEY[0]


class Gunicorn:
    """A gunicorn master with its workers in a process group of their own (so kill -9 hits all)."""

    def __init__(self, target: str, env: dict[str, str], *, port: int | None = None,
                 workers: int = WORKERS, threads: int = THREADS) -> None:
        self.target = target
        self.env = env
        self.port = port or free_port()
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, ready_path: str = "/", timeout: float = 30.0) -> Gunicorn:
        """Start gunicorn and wait until *ready_path* answers (any status below 500)."""
        command = [
            GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--worker-class", "gthread", "--threads", str(self.threads), "--backlog", "2048",
            "--graceful-timeout", "5", "--timeout", "60", self.target,
        ]
        self.process = subprocess.Popen(  # nosec B603  # fixed argv, no shell
            command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + ready_path, timeout=2, allow_redirects=False).status_code < 500:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        """Return what gunicorn and the app printed so far (the tail)."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once (its whole process group)."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop gunicorn gracefully (SIGTERM), or kill it when it does not go within 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill9()

    def __enter__(self) -> Gunicorn:
        return self.start() if self.process is None else self

    def __exit__(self, *_exc) -> None:
        self.stop()
        self._log.close()
