"""What the CLI's Superset commands do, as plain functions (cli.py only delegates)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_project.settings import Settings
from dagster_project.superset import assets_io, rls, server
from dagster_project.superset.client import SupersetClient
from dagster_project.superset.dashboards import all_dashboards

BROWSER_SCRIPT = Path(__file__).with_name("browser.py")
SCREENSHOT_DIR = server.REPO_ROOT / "docs" / "screenshots"


def admin_client(settings: Settings, base_url: str) -> SupersetClient:
    password, _ = server.admin_password(settings)
    return SupersetClient(base_url, server.ADMIN_USER, password)


def deploy(settings: Settings, base_url: str) -> SupersetClient:
    """Import the bundle (URI from settings) and sync RLS roles from the org tree."""
    client = admin_client(settings, base_url)
    assets_io.import_bundle(client, settings.serving_path)
    if settings.serving_path.exists():
        rls.sync_access(client, settings.serving_path)
    return client


def check_access(settings: Settings, base_url: str) -> list[str]:
    """What `puhui superset check --url` reports: datasets readable without a rule."""
    return rls.access_problems(admin_client(settings, base_url))


def demo_users_file(settings: Settings) -> Path:
    return settings.superset_home / "demo_users.json"


@contextmanager
def running(settings: Settings, port: int | None = None) -> Iterator[server.SupersetServer]:
    """A Superset server for the duration of a block, with the assets deployed."""
    generated = server.init_metadata(settings)
    if generated:
        server.print_admin_password_once(server.admin_password(settings)[0])
    srv = server.start(settings, port=port)
    try:
        deploy(settings, srv.base_url)
        yield srv
    finally:
        srv.stop()


def take_screenshots(settings: Settings, base_url: str, out_dir: Path = SCREENSHOT_DIR,
                     slugs: list[str] | None = None, user: str = server.ADMIN_USER,
                     password_file: Path | None = None, state: bool = False,
                     picks: dict[str, str] | None = None) -> list[Path]:
    """Headless-Chromium PNGs of dashboards, logged in through the login form.

    With ``state``, each PNG gets a ``<slug>.json`` beside it: the filter bar's
    selected values and the big-number cards' texts as the user sees them. ``picks``
    chooses filter values before the shot, by filter name (客户经营's 客户号).
    """
    slugs = slugs or [d.slug for d in all_dashboards()]
    pw_file = password_file or settings.superset_home / "admin_password"
    if not pw_file.exists():
        # Password given through settings: hand it over in a private temp file.
        pw_file = settings.superset_home / ".screenshot_password"
        fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(server.admin_password(settings)[0])
    py = settings.superset_venv_dir / "bin" / "python"
    res = subprocess.run(
        [str(py), str(BROWSER_SCRIPT), "--url", base_url, "--user", user,
         "--password-file", str(pw_file), "--out", str(out_dir),
         *(["--state"] if state else []),
         *(f"--pick={name}={value}" for name, value in (picks or {}).items()), *slugs],
        capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"screenshots failed:\n{res.stderr[-3000:]}")
    return [Path(line) for line in res.stdout.split() if line.endswith(".png")]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(settings: Settings, only: str | None = None) -> None:
    """Dagster's webserver and daemon and Superset on localhost until Ctrl-C, then stop
    them; ``only="dagster"`` serves the orchestrator alone (a machine with no dashboards)."""
    from dagster_project import orchestrator

    # Ctrl-C and a service manager's SIGTERM both stop everything. Setting SIGINT
    # explicitly also covers a parent that started us with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    dagster = orchestrator.start(settings)
    try:
        print(f"Dagster:  {dagster.url}  (delivery sensor on: drop deliveries into "
              f"{settings.landing_dir})")
        if only == "dagster":
            print("Ctrl-C stops it.")
            while dagster.alive():
                time.sleep(1)
            return
        with running(settings) as srv:
            print(f"Superset: {srv.base_url}/superset/dashboard/cockpit/  (user admin)")
            print("Ctrl-C stops both.")
            while dagster.alive() and srv.process.poll() is None:
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        dagster.stop()
