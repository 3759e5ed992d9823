"""Pure argument builders of the dbt step (dagster_project.dbt_build, assets/dbt.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dagster_project.dbt_build import (
    DBT_PROJECT_DIR,
    dbt_args,
    dbt_env,
    normalize_date,
    window_env,
)
from dagster_project.settings import Settings


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


@pytest.mark.parametrize(("given", "expected"), [
    ("20251230", date(2025, 12, 30)),  # the contract's YYYYMMDD (t1-extract-spec §2)
    ("2025-12-30", date(2025, 12, 30)),  # ISO, as partition keys are
    (date(2025, 12, 30), date(2025, 12, 30)),
    (None, None),  # a normal night: only dates not built yet
])
def test_normalize_date(given: object, expected: date | None) -> None:
    assert normalize_date(given) == expected  # type: ignore[arg-type]


def test_redelivery_passes_from_date_in_the_environment(settings: Settings) -> None:
    args = dbt_args(settings, "build")
    # what the night builds (assets/dbt.py build_invocation): no YAML unit tests
    assert args[:3] == ["build", "--exclude-resource-type", "unit_test"]
    # no --vars: a change of vars makes dbt parse the whole project again
    assert "--vars" not in args and "--full-refresh" not in args
    assert window_env(date(2025, 12, 30)) == {"PUHUI_DBT_FROM_DATE": "2025-12-30",
                                              "PUHUI_DBT_TEST_FROM_DATE": ""}
    # no window: both set empty, so the last invocation's window cannot leak
    assert window_env() == {"PUHUI_DBT_FROM_DATE": "", "PUHUI_DBT_TEST_FROM_DATE": ""}


def test_full_refresh_and_paths_under_puhui_home(settings: Settings) -> None:
    args = dbt_args(settings, "build", full_refresh=True)
    assert "--full-refresh" in args and "--vars" not in args
    assert args[args.index("--project-dir") + 1] == str(DBT_PROJECT_DIR)
    assert Path(args[args.index("--target-path") + 1]).is_relative_to(settings.home)
    assert Path(args[args.index("--log-path") + 1]).is_relative_to(settings.home)


def test_profile_env_points_at_the_settings_warehouse(settings: Settings) -> None:
    env = dbt_env(settings)
    assert env["PUHUI_WAREHOUSE"] == str(settings.warehouse_path)
    assert Path(env["PUHUI_DBT_TEMP_DIR"]).is_relative_to(settings.home)


def test_data_tests_look_at_the_dates_being_built() -> None:
    env = window_env(None, test_from_date=date(2026, 1, 4))
    assert env["PUHUI_DBT_TEST_FROM_DATE"] == "2026-01-04"
    # a full refresh rebuilds (and so tests) every date
    env = window_env(None, test_from_date=date(2026, 1, 4), full_refresh=True)
    assert env["PUHUI_DBT_TEST_FROM_DATE"] == ""


def _profile_output() -> dict:
    import yaml

    return yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["puhui"]["outputs"][
        "warehouse"]


def test_cursors_opened_after_a_spill_can_apply_the_profile_settings(tmp_path: Path) -> None:
    """dbt-duckdb opens a cursor per node and SETs every profile `settings` entry on it.
    DuckDB refuses SET temp_directory (even to the same path) once something spilled,
    which failed a 60-date bank build mid-way; so the spill folder is a connect-time
    option and the per-cursor settings must all be re-appliable after a spill."""
    import duckdb

    out = _profile_output()
    assert "temp_directory" in out["config_options"]
    assert "temp_directory" not in out["settings"]
    spill = tmp_path / "spill"
    con = duckdb.connect(str(tmp_path / "w.duckdb"),
                         config={"temp_directory": str(spill), "memory_limit": "64MB",
                                 "threads": 2})
    con.execute("CREATE TABLE t AS SELECT md5(range::VARCHAR) AS m FROM range(3000000)")
    con.execute("CREATE TABLE s AS SELECT * FROM t ORDER BY m")  # more than 64 MB: spills
    assert spill.exists()
    cursor = con.cursor()
    for key, value in out["settings"].items():
        if key == "memory_limit":
            value = "64MB"  # the profile's value is a Jinja env_var expression
        cursor.execute(f"SET {key} = '{value}'")
    with pytest.raises(duckdb.Error, match="temporary directory"):
        cursor.execute(f"SET temp_directory = '{spill}'")  # what the old profile did


def test_the_dbt_version_the_resource_is_told_is_the_one_dbt_reports(settings: Settings) -> None:
    """The dbt resource skips dagster-dbt's ``dbt --version`` before each build; what it
    says instead must be what that command prints (resources/dbt.py)."""
    import re
    import subprocess

    from packaging import version

    from dagster_project.resources.dbt import DBT_EXECUTABLE, dbt_cli_resource

    # dbt --version also asks PyPI for the latest release: bound the wait
    printed = subprocess.run([str(DBT_EXECUTABLE), "--version"], capture_output=True,
                             text=True, check=True, timeout=120).stdout
    core = re.search(r"installed:\s*(\d+\.\d+\.\d+)", printed)
    assert core, printed
    assert dbt_cli_resource(settings)._cli_version == version.parse(core.group(1))
