"""The dbt project as Dagster sees it: one cached ``DbtProject`` and its CLI resource.

The manifest lives under ``settings.dbt_target_dir`` (``$PUHUI_HOME/dbt/target``),
so every home has its own; :func:`prepare_manifest` parses the project when it is
missing or older than the project's files (``dbt deps`` is never run: the project has
no packages, and the hub is unreachable here). A parse costs 15-40 s, so a process that
builds definitions for several homes (the tests, ``puhui run`` after ``puhui demo``)
parses once and copies.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from functools import cached_property, lru_cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from dagster_project.dbt_build import DBT_PROJECT_DIR, dbt_args, run_dbt
from dagster_project.settings import Settings

# Manifest and partial-parse state are derived from the project files only, so one
# parse per process serves every home (the key guards against a changed project).
_PARSED: dict[float, Path] = {}
_ARTIFACTS = ("manifest.json", "partial_parse.msgpack")
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@lru_cache(maxsize=8)
def dbt_project(target_dir: Path) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                      target_path=target_dir)


def _project_stamp() -> float:
    """Latest modification time of the project's sources (models, macros, seeds, yml)."""
    files = [p for d in ("models", "macros", "tests") for p in (DBT_PROJECT_DIR / d).rglob("*")]
    files += [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    return max(p.stat().st_mtime for p in files if p.is_file())


def prepare_manifest(settings: Settings) -> Path:
    """``dbt parse`` into the settings' target dir if there is no manifest yet, or if it
    is older than the project's sources.

    A home keeps its manifest across upgrades of Puhui. The assets are defined from it,
    while the night's ``dbt build`` parses the project as it now is: a test added since
    reaches Dagster as an event of a node it does not know (KeyError in dagster-dbt),
    and the first night after the upgrade would fail."""
    project = dbt_project(settings.dbt_target_dir)
    stamp = _project_stamp()
    if project.manifest_path.exists() and project.manifest_path.stat().st_mtime >= stamp:
        return project.manifest_path
    parsed = _PARSED.get(stamp)
    if parsed is not None and (parsed / "manifest.json").exists():
        settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
        for name in _ARTIFACTS:
            if (parsed / name).exists():
                shutil.copy2(parsed / name, settings.dbt_target_dir / name)
        return project.manifest_path
    res = run_dbt(settings, dbt_args(settings, "parse"))
    if not getattr(res, "success", False):
        raise RuntimeError(f"dbt parse failed: {getattr(res, 'exception', None)}")
    _PARSED[stamp] = settings.dbt_target_dir
    return project.manifest_path


class PuhuiDbtCliResource(DbtCliResource):
    """dagster-dbt's CLI resource, told dbt's version instead of asking for it.

    Before each build dagster-dbt runs ``dbt --version`` to learn whether it drives dbt
    Core or Fusion: a second Python process importing dbt, about 2.5 CPU-s and 2 s
    before the build starts, every night (resources are made anew for each run, so
    its cache never serves a second one). The executable is this environment's, so
    its version is the installed ``dbt-core`` package's."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_cli_resource(settings: Settings) -> DbtCliResource:
    """The CLI resource the dbt assets run with (profiles.yml reads the env the asset sets).

    dbt is this environment's (the webserver and daemon run without the venv on PATH)."""
    return PuhuiDbtCliResource(project_dir=dbt_project(settings.dbt_target_dir),
                               profiles_dir=str(DBT_PROJECT_DIR),
                               dbt_executable=str(DBT_EXECUTABLE))
