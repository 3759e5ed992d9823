"""Shared fixtures.

``tiny_landing``: a landing folder with TINY_DAYS deliveries of the `tiny` province from
2025-12-28 (across a year end), generated once per session. Outside pytest call
``dagster_project.generator.generate_tiny(path)`` for the same.

``tiny_home``: ``puhui run --landing <tiny>`` into a fresh PUHUI_HOME (ingest, dbt
build, audit, publish) in two nights, through TINY_FIRST_NIGHT and then the rest, once
per session. Read-only: a test that changes a home copies it first (``copy_home``).
The integration, spec and Superset tests read it instead of each running their own
pipeline. ``tiny_home_two_dates``: the first two tiny dates published, once per
session, for the tests that run the next dates on a copy.

``superset_stack``: one real Superset server on it, on a free port, with the bundle
imported and RLS synced through the REST API; stopped at the end. Tests skip (with the
reason) only when ``puhui setup`` has not been run. ``dashboards_rendered``: every
dashboard of it rendered once in headless Chromium, for the tests that look at them.

The suite runs on pytest-xdist workers (``-n auto``, pyproject.toml). ``tiny_landing``
and ``tiny_home`` are still built once per run: the first worker to need one builds it
under the run's common base directory, holding a file lock, and the others wait for it.
Each module runs whole on one worker (its module fixtures are built once), and every
module that uses ``superset_stack`` runs on the same worker, so one Superset server
serves them all.

Modules are handed out longest first (``LONG_FIRST``, then the rest, those that need no
shared build first), not in xdist's order (most tests first): the run then ends on short
modules instead of on a long one started last. There is one worker more than CPUs: the
long modules spend much of their time waiting (on a daemon's sensor ticks, a browser, a
Superset server, a lock on a shared build), and a third worker fills those waits.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from filelock import FileLock

from dagster_project.generator import generate_tiny
from dagster_project.generator.api import TINY_START
from dagster_project.settings import Settings
from dagster_project.superset import server, service
from dagster_project.superset.client import SupersetClient
from dagster_project.superset.install import browser_present
from tests.reference.compare import pipeline_missing, run_puhui

TINY_FIRST_NIGHT = TINY_START + timedelta(days=3)  # 2025-12-31: 4 nights, then 4 more
TINY_TWO_DATES = TINY_START + timedelta(days=1)  # 2025-12-29


SUPERSET_GROUP = "superset"
_SHARED_BUILDS = ("tiny_landing", "tiny_home", "tiny_home_two_dates")

# The groups that take a minute or more of a CI worker, longest first (wall times of
# the CI run in docs/benchmarks.md, "The test suite"). Those that build or wait for no
# shared home come before those that wait for ``tiny_home``, which the Superset group
# builds first.
LONG_FIRST = (
    SUPERSET_GROUP,  # about 10 min: server, 7 dashboards in Chromium, publish under load
    "tests/integration/test_write_audit_publish.py",  # kills and reruns of real nights
    "tests/integration/test_unattended.py",  # the webserver and daemon's sensor ticks
    "tests/integration/test_ingest_job.py",
    "tests/integration/test_blacklist_load.py",
    "tests/spec/test_customer_ops_hand.py",
    "tests/spec/test_indicators_hand.py",
    "tests/integration/test_opportunity_push.py",
    "tests/integration/test_dbt_store.py",
    "tests/integration/test_briefing.py",
    "tests/spec/test_customer_ops_match_reference.py",
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the CPUs this process may use (module docstring)."""
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One xdist group per module, one for every module that needs Superset; and the
    groups in the order they are handed out (see the module docstring).

    First among the hooks of this name: xdist's worker turns the ``xdist_group`` marks
    into node-id suffixes in its own, and the scheduler groups by those suffixes. Called
    after it (the default order: the worker registers after this conftest), the marks
    came too late, every test was scheduled alone, and a module's tests ran on both
    workers, each building the module's pipeline homes and its own Superset server.
    pytest 9.2 breaks the suffix another way (pyproject.toml pins it below 9.2)."""
    modules: dict[str, set[str]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], set()).update(item.fixturenames)

    def group_of(module: str) -> str:
        return SUPERSET_GROUP if "superset_stack" in modules[module] else module

    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item.nodeid.split("::")[0])))

    def rank(item: pytest.Item) -> tuple[int, bool]:
        module = item.nodeid.split("::")[0]
        group = group_of(module)
        first = LONG_FIRST.index(group) if group in LONG_FIRST else len(LONG_FIRST)
        return first, any(f in modules[module] for f in _SHARED_BUILDS)

    items.sort(key=rank)  # stable: a module's tests keep their order


def shared_build(tmp_path_factory: pytest.TempPathFactory, name: str,
                 build: Callable[[Path], object]) -> Path:
    """``name`` built once per test run by ``build(path)``, whichever worker asks first.

    Under xdist each worker has its own base temp directory inside the run's; the build
    goes in the run's, behind a lock. A build that failed is started again by the next
    worker that asks (and fails again there, with its own message)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    target, built = root / name, root / f"{name}.built"
    with FileLock(str(root / f"{name}.lock")):
        if not built.exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(mode=0o700)
            build(target)
            built.touch()
    return target


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_build(tmp_path_factory, "tiny_landing", generate_tiny)


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

    def build(home: Path) -> None:
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

    return shared_build(tmp_path_factory, "tiny_home", build)


@pytest.fixture(scope="session")
def tiny_home_two_dates(tiny_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``puhui run --landing <tiny> --through 2025-12-29`` into a fresh home, once per
    run: a last good publication that later dates arrive on. Read-only, like
    ``tiny_home``: the write–audit–publish kills and the publish under load each run
    the next dates on a ``copy_home`` of it. (A delivery's bytes do not depend on how
    many days were generated, so a landing of the first three tiny dates holds the
    same two dates.)"""
    reason = pipeline_missing()
    if reason:
        pytest.skip(f"real pipeline not available: {reason}")

    def build(home: Path) -> None:
        run_puhui(["run", "--landing", str(tiny_landing), "--through", str(TINY_TWO_DATES)],
                  home)
        assert (home / "serving.duckdb").exists()

    return shared_build(tmp_path_factory, "tiny_home_two_dates", build)


def copy_home(home: Path, target: Path) -> Path:
    """A private copy of a published home (warehouse, serving copy, manifest, Dagster
    instance, Superset metadata) for a test that changes it."""
    shutil.copytree(home, target,
                    ignore=shutil.ignore_patterns("tmp", "*.wal", "superset.db*"))
    copy_superset_db(Settings(home=home).superset_home, Settings(home=target).superset_home)
    return target


def serving_tables(path: Path) -> dict[str, pl.DataFrame]:
    """Every table of a serving file, rows sorted: two files compare table for table."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("show tables").fetchall()]
        return {n: con.sql(f"select * from {n} order by all").pl() for n in names}


def tables_differing(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> list[str]:
    """The tables two ``serving_tables`` results hold differently; both must hold the
    same tables."""
    assert a.keys() == b.keys()
    return [n for n in a if not a[n].equals(b[n])]


def copy_superset_home(source: Path, target: Path) -> Path:
    """A copy of a Superset home whose server may be running: see copy_superset_db."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("superset.db*"))
    copy_superset_db(source, target)
    return target


def copy_superset_db(source: Path, target: Path) -> None:
    """Copy ``superset.db`` through SQLite's online backup, not file by file.

    The shared stack's server keeps it open in WAL mode: its ``-wal`` and ``-shm``
    files come and go as the server checkpoints, so a file copy can fail on a file
    that vanished between listing and reading (CI at b623817) or copy a database
    without its last transactions. The backup reads one consistent snapshot."""
    db = source / "superset.db"
    if not db.exists():
        return
    target.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(db)) as src, \
            closing(sqlite3.connect(target / "superset.db")) as dst:
        src.backup(dst)
    (target / "superset.db").chmod(db.stat().st_mode & 0o777)


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


@pytest.fixture(scope="session")
def dashboards_rendered(superset_stack: Stack, chromium: None,
                        tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every dashboard rendered once in headless Chromium, as admin through the login
    form, by the script that made docs/screenshots: a ``<slug>.png`` each, with its
    ``<slug>.json`` state (CSP violations, refused requests, the cards' texts).

    The screenshot test and the CSP test read the same pictures: one pass over the
    seven dashboards takes about 160 s of a CI worker. Opening a dashboard as admin
    makes Superset's frontend save its label colours into it, so the bundle is imported
    again afterwards and later tests see Superset as the bundle says."""
    from dagster_project.superset import assets_io

    out = tmp_path_factory.mktemp("dashboards_rendered")
    try:
        return service.take_screenshots(superset_stack.settings,
                                         superset_stack.server.base_url, out, state=True)
    finally:
        assets_io.import_bundle(superset_stack.admin, superset_stack.serving_path)
