"""The dbt project as Dagster sees it: one cached ``DbtProject`` and its CLI resource.

The manifest lives under ``settings.dbt_target_dir`` (``$PUHUI_HOME/dbt/target``),
so every home has its own; :func:`prepare_manifest` parses the project when it is
missing (``dbt deps`` is never run: the project has no packages, and the hub is
unreachable here).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from dagster_project.dbt_build import DBT_PROJECT_DIR, dbt_args, dbt_env, run_dbt
from dagster_project.settings import Settings, get_settings


@lru_cache(maxsize=4)
def dbt_project(target_dir: Path | None = None) -> DbtProject:
    target = target_dir or get_settings().dbt_target_dir
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                      target_path=target)


def prepare_manifest(settings: Settings) -> Path:
    """``dbt parse`` into the settings' target dir if there is no manifest yet."""
    project = dbt_project(settings.dbt_target_dir)
    if not project.manifest_path.exists():
        res = run_dbt(settings, dbt_args(settings, "parse"))
        if not getattr(res, "success", False):
            raise RuntimeError(f"dbt parse failed: {getattr(res, 'exception', None)}")
    return project.manifest_path


def dbt_cli_resource(settings: Settings) -> DbtCliResource:
    """The CLI resource the dbt assets run with; profiles.yml reads the env set here."""
    os.environ.update(dbt_env(settings))
    return DbtCliResource(project_dir=dbt_project(settings.dbt_target_dir),
                          profiles_dir=str(DBT_PROJECT_DIR))
