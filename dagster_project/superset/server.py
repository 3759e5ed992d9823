"""Superset's process: metadata home, secret key, admin account, start and stop.

Superset runs in its own virtualenv (it pins sqlalchemy<2 and pandas<2.2, which
the Dagster/dbt environment cannot share), so everything here drives it as a
subprocess and talks to it over HTTP.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from dagster_project.settings import PRIVATE_UMASK, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = REPO_ROOT / "superset_assets"
CONFIG_FILE = ASSETS_DIR / "superset_config.py"
ADMIN_USER = "admin"
# Bump when superset_config.py or the lock changes in a way that needs `superset init`.
_INIT_STAMP = "puhui-init-v1"


class SupersetNotInstalled(RuntimeError):
    """The Superset virtualenv is missing: run `puhui setup` first."""


def superset_bin(settings: Settings) -> Path:
    exe = settings.superset_venv_dir / "bin" / "superset"
    if not exe.exists():
        raise SupersetNotInstalled(f"{exe} not found; run `puhui setup` first")
    return exe


def _write_private(path: Path, text: str) -> None:
    """Write a secret file atomically with mode 600 (never world-readable, even briefly)."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def ensure_home(settings: Settings) -> Path:
    """Create $PUHUI_HOME/superset with a SECRET_KEY generated once and kept there.

    The home is made private first (700, data and secret files 600): Superset's
    metadata holds password hashes, and its children inherit the owner-only umask.
    """
    settings.ensure_dirs()
    home = settings.superset_home
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = home / "secret_key"
    if not key.exists():
        _write_private(key, secrets.token_urlsafe(48))
    return home


def admin_password(settings: Settings) -> tuple[str, bool]:
    """The admin password and whether it was generated just now (to print it once)."""
    if settings.superset_admin_password is not None:
        return settings.superset_admin_password.get_secret_value(), False
    path = settings.superset_home / "admin_password"
    if path.exists():
        return path.read_text().strip(), False
    pw = secrets.token_urlsafe(18)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(path, pw)
    return pw, True


def superset_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = str(settings.superset_venv_dir / "bin")
    env.update(
        SUPERSET_HOME=str(settings.superset_home),
        SUPERSET_CONFIG_PATH=str(CONFIG_FILE),
        FLASK_APP="superset",
        PATH=venv_bin + os.pathsep + env.get("PATH", ""),
        VIRTUAL_ENV=str(settings.superset_venv_dir),
        PYTHONUNBUFFERED="1",
    )
    # The project's own venv must not leak into Superset's interpreter.
    env.pop("PYTHONPATH", None)
    return env


def run_cli(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``superset <args>``; with ``check``, a failure raises with the end of what it said
    (a CalledProcessError alone names only the command)."""
    done = subprocess.run(
        [str(superset_bin(settings)), *args],
        env=superset_env(settings),
        capture_output=True,
        text=True,
        check=False,
        umask=PRIVATE_UMASK,  # superset.db (password hashes) is created owner-only
    )
    if check and done.returncode != 0:
        said = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-15:])
        raise RuntimeError(f"superset {' '.join(args)} exited {done.returncode} "
                           f"(metadata: {settings.superset_home}):\n{said}")
    return done


def init_metadata(settings: Settings) -> bool:
    """Migrate the metadata DB, create roles/permissions and the admin account.

    Idempotent and cheap on the second call (a stamp file records a finished
    init). Returns True when the admin password was generated now, so the caller
    can print it once.
    """
    home = ensure_home(settings)
    password, generated = admin_password(settings)
    stamp = home / _INIT_STAMP
    if stamp.exists() and not generated:
        return False
    run_cli(settings, "db", "upgrade")
    out = run_cli(
        settings, "fab", "create-admin", "--username", ADMIN_USER, "--firstname", "Puhui",
        "--lastname", "Admin", "--email", "admin@puhui.local", "--password", password,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"superset fab create-admin failed: {out.stderr[-2000:]}")
    if generated or settings.superset_admin_password is not None:
        # Keep the stored account in step with the configured/generated password.
        run_cli(settings, "fab", "reset-password", "--username", ADMIN_USER,
                "--password", password, check=False)
    run_cli(settings, "init")
    stamp.write_text("done\n")
    settings.make_private()
    return generated


@dataclass
class SupersetServer:
    """A running Superset (gunicorn) process group."""

    port: int
    process: subprocess.Popen
    log_path: Path
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def wait_healthy(base_url: str, timeout: float = 180, proc: subprocess.Popen | None = None,
                 log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log_path.read_text()[-3000:] if log_path and log_path.exists() else ""
            raise RuntimeError(f"Superset exited with {proc.returncode}:\n{tail}")
        try:
            if requests.get(f"{base_url}/health", timeout=2).text.strip() == "OK":
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(f"Superset at {base_url} not healthy after {timeout}s")


def start(settings: Settings, port: int | None = None, workers: int = 2) -> SupersetServer:
    """Start gunicorn serving Superset on localhost and wait for /health."""
    port = port or settings.superset_port
    init_metadata(settings)
    settings.make_private()  # a home made by an older version: 700 and 600 now
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.logs_dir / f"superset-{port}.log"
    gunicorn = settings.superset_venv_dir / "bin" / "gunicorn"
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed with it
    proc = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", "8", "--timeout", "120",
         "--limit-request-line", "0", "--limit-request-field_size", "0",
         # gunicorn 23+ opens a control socket in ~/.gunicorn by default: nothing may be
         # written outside PUHUI_HOME, and start/stop is ours already.
         "--no-control-socket",
         "superset.app:create_app()"],
        env=superset_env(settings), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group, so stop() ends workers too
        umask=PRIVATE_UMASK,
    )
    server = SupersetServer(port=port, process=proc, log_path=log_path)
    try:
        wait_healthy(server.base_url, proc=proc, log_path=log_path)
    except Exception:
        server.stop()
        raise
    return server


def print_admin_password_once(password: str) -> None:
    print(
        f"Superset admin account created: user `{ADMIN_USER}`, password `{password}`\n"
        "(printed once; it is kept in $PUHUI_HOME/superset/admin_password, mode 600)",
        file=sys.stderr,
    )
