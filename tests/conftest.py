"""Shared fixtures.

``tiny_landing``: a landing folder with TINY_DAYS deliveries of the `tiny` province from
2025-12-28 (across a year end), generated once per session. Outside pytest call
``dagster_project.generator.generate_tiny(path)`` for the same.

``tiny_home``: ``puhui run --landing <tiny>`` into a fresh PUHUI_HOME (ingest, dbt
build, audit, publish) in two nights, through TINY_FIRST_NIGHT and then the rest, once
per session. Read-only: a test that changes a home copies it first (``copy_home``).
The integration, spec and Superset tests read it instead of each running their own
pipeline.

``superset_stack``: one real Superset server on it, on a free port, with the bundle
imported and RLS synced through the REST API; stopped at the end. Tests skip (with the
reason) only when ``puhui setup`` has not been run.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from dagster_project.generator import generate_tiny
from dagster_project.generator.api import TINY_START
from dagster_project.settings import Settings
from dagster_project.superset import server, service
from dagster_project.superset.client import SupersetClient
from dagster_project.superset.install import browser_present
from tests.reference.compare import pipeline_missing, run_puhui

TINY_FIRST_NIGHT = TINY_START + timedelta(days=3)  # 2025-12-31: 4 nights, then 4 more


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_tiny(tmp_path_factory.mktemp("tiny_landing"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def superset_missing() -> str | None:
    venv = Settings().superset_venv_dir
    if not (venv / "bin" / "superset").exists():
        return f"Superset venv {venv} missing: run `uv run puhui setup` first"
    return None


@dataclass
class Stack:
    settings: Settings
    server: server.SupersetServer
    admin: SupersetClient

    @property
    def serving_path(self) -> Path:
        return self.settings.serving_path


@pytest.fixture(scope="session")
def tiny_home(tiny_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = pipeline_missing()
    if reason:
        pytest.skip(f"real pipeline not available: {reason}")
    home = tmp_path_factory.mktemp("tiny_home")
    # two nights, so the shared home is also the incremental build (test_dbt_store
    # compares it with a full refresh)
    said = run_puhui(["run", "--landing", str(tiny_landing), "--through",
                      str(TINY_FIRST_NIGHT)], home)
    said += run_puhui(["run", "--landing", str(tiny_landing)], home)
    (home / "logs").mkdir(exist_ok=True)
    run_log = home / "logs" / "puhui-run.txt"
    run_log.write_text(said)  # what the operator saw
    run_log.chmod(0o600)  # like every file under PUHUI_HOME (issue 12)
    assert (home / "serving.duckdb").exists()
    return home


def copy_home(home: Path, target: Path) -> Path:
    """A private copy of a published home (warehouse, serving copy, manifest, Dagster
    instance) for a test that changes it."""
    shutil.copytree(home, target, ignore=shutil.ignore_patterns("tmp", "*.wal"))
    return target


@pytest.fixture(scope="session")
def superset_stack(tiny_home: Path) -> Iterator[Stack]:
    reason = superset_missing()
    if reason:
        pytest.skip(reason)
    settings = Settings(home=tiny_home, superset_port=free_port())
    server.init_metadata(settings)
    srv = server.start(settings)
    try:
        admin = service.deploy(settings, srv.base_url)
        yield Stack(settings, srv, admin)
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def chromium() -> None:
    if not browser_present():
        pytest.skip("Chromium/chromedriver/fonts-noto-cjk missing: run `uv run puhui setup`")
