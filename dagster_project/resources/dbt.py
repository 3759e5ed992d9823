"""The dbt project as Dagster sees it: one cached ``DbtProject`` and its CLI resource.

The manifest lives under ``settings.dbt_target_dir`` (``$PUHUI_HOME/dbt/target``),
so every home has its own; :func:`prepare_manifest` parses the project when it is
missing or was parsed from other project files (the key it records beside it;
``dbt deps`` is never run: the project has no packages, and the hub is unreachable here).

A full parse costs 6-8 CPU-s, and dbt throws its partial-parse state away whenever the
profile's connection differs: the warehouse path, so for every new or copied home.
The parse depends only on the project's files, so one parse serves every home of this
checkout: it is kept under ``dbt/target/parsed/<hash of the files>`` beside the project,
and a home gets a copy whose recorded profile is made its own (:func:`_own_profile`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import pprint
import shutil
import sys
import tempfile
from functools import cached_property, lru_cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from dagster_project.dbt_build import DBT_PROJECT_DIR, dbt_args, dbt_env, run_dbt
from dagster_project.settings import Settings

_ARTIFACTS = ("manifest.json", "partial_parse.msgpack")
_PARSE_CACHE = DBT_PROJECT_DIR / "target" / "parsed"
# what profiles.yml was rendered with when the home's partial_parse.msgpack was made
# its own: the environment of dbt_env, minus what only the log level reads
_PROFILE_MARK = "partial_parse.profile"
# the project key (_project_key) of the files the home's manifest was parsed from
_PROJECT_MARK = "manifest.project_key"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@lru_cache(maxsize=8)
def dbt_project(target_dir: Path) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                      target_path=target_dir)


def _project_files() -> list[Path]:
    """What a parse reads: models, macros, tests, seeds, dbt_project.yml, profiles.yml."""
    roots = [DBT_PROJECT_DIR / d for d in ("models", "macros", "tests")]
    roots.append((DBT_PROJECT_DIR / "../seeds").resolve())
    files = [p for d in roots for p in d.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    files += [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    return sorted(files)


def _project_key(files: list[Path]) -> str:
    """The parse cache's key: dbt's version and every project file's path and bytes."""
    h = hashlib.sha256(" ".join(importlib.metadata.version(d)
                                for d in ("dbt-core", "dbt-duckdb")).encode())
    for p in files:
        h.update(str(p.relative_to(DBT_PROJECT_DIR.parent)).encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:24]


def _profile_env(settings: Settings) -> dict[str, str]:
    env = dbt_env(settings)
    env.pop("DBT_LOG_LEVEL_FILE")
    return env


def _profile_mark(settings: Settings) -> str:
    """What ``_PROFILE_MARK`` holds once the home's state records its own profile."""
    return repr(sorted(_profile_env(settings).items()))


def _profile_hash(settings: Settings) -> dict[str, str]:
    """The profile hash dbt records in partial_parse.msgpack for this home (dbt-core's
    ``ManifestLoader.build_manifest_state_check``: the sorted connection keys of the
    rendered profile, pretty-printed and hashed), computed by dbt's own classes."""
    from argparse import Namespace

    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.contracts.files import FileHash
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    set_from_args(Namespace(), None)
    set_invocation_context({**os.environ, **_profile_env(settings)})
    profile = Profile.from_raw_profiles(read_profile(str(DBT_PROJECT_DIR)), "puhui",
                                        ProfileRenderer({}))
    digest = FileHash.from_contents(pprint.pformat(sorted(profile.credentials.connection_info())))
    return {"name": digest.name, "checksum": digest.checksum}


def _own_profile(settings: Settings) -> None:
    """Make the home's partial-parse state record this home's profile, so that its next
    dbt run parses partially instead of from scratch.

    Only when it was made for another profile (a copy from the cache or from another
    home): the mark file says which. Anything unexpected leaves the file as it is, and
    dbt then parses in full, as it would have without this."""
    import msgpack

    target = settings.dbt_target_dir
    state, mark = target / "partial_parse.msgpack", target / _PROFILE_MARK
    wanted = _profile_mark(settings)
    if not state.exists() or (mark.exists() and mark.read_text() == wanted):
        return
    try:
        data = msgpack.unpackb(state.read_bytes(), raw=False, strict_map_key=False)
        data["state_check"]["profile_hash"] = _profile_hash(settings)
        packed = msgpack.packb(data, use_bin_type=True)
    except Exception:  # noqa: BLE001 - an unknown layout: dbt parses in full, as before
        return
    tmp = state.with_suffix(".tmp")
    tmp.write_bytes(packed)
    tmp.replace(state)
    mark.write_text(wanted)


def _cached_parse(key: str) -> Path | None:
    cached = _PARSE_CACHE / key
    return cached if all((cached / n).exists() for n in _ARTIFACTS) else None


def _keep_parse(key: str, target: Path, keep: int = 4) -> None:
    """Keep a home's fresh parse for the other homes of this checkout, whole or not at
    all (a rename), and only the ``keep`` newest parses. Best effort: a read-only
    checkout keeps nothing, and every home then parses once."""
    try:
        _PARSE_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=_PARSE_CACHE, prefix=f".{key}."))
    except OSError:
        return
    try:
        for name in _ARTIFACTS:
            shutil.copyfile(target / name, tmp / name)
        tmp.rename(_PARSE_CACHE / key)
    except OSError:  # another process kept the same parse first, or the disk is full
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        kept = sorted((d for d in _PARSE_CACHE.iterdir() if not d.name.startswith(".")),
                      key=lambda d: d.stat().st_mtime, reverse=True)
    except OSError:  # another process pruning at the same moment removed one
        return
    for old in kept[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def prepare_manifest(settings: Settings) -> Path:
    """``dbt parse`` into the settings' target dir unless its manifest was parsed from
    the project's files as they are now (the key recorded beside it); a parse of the
    same files made for another home is copied instead.

    A home keeps its manifest across upgrades of Puhui. The assets are defined from it,
    while the night's ``dbt build`` parses the project as it now is: a test added since
    reaches Dagster as an event of a node it does not know (KeyError in dagster-dbt),
    and the night fails. The key is of the files' bytes, not their times: a home copied
    without its files' times (``cp -r``, a restore) once made an old manifest look newer
    than the project, and its night failed so."""
    project = dbt_project(settings.dbt_target_dir)
    key = _project_key(_project_files())
    mark = settings.dbt_target_dir / _PROJECT_MARK
    if project.manifest_path.exists() and mark.exists() and mark.read_text() == key:
        _own_profile(settings)
        return project.manifest_path
    mark.unlink(missing_ok=True)
    cached = _cached_parse(key)
    if cached is not None:
        settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
        (settings.dbt_target_dir / _PROFILE_MARK).unlink(missing_ok=True)
        try:
            for name in _ARTIFACTS:
                shutil.copyfile(cached / name, settings.dbt_target_dir / name)
        except OSError:  # pruned meanwhile by another checkout's process: parse
            pass
        else:
            _own_profile(settings)
            mark.write_text(key)
            return project.manifest_path
    res = run_dbt(settings, dbt_args(settings, "parse"))
    if not getattr(res, "success", False):
        raise RuntimeError(f"dbt parse failed: {getattr(res, 'exception', None)}")
    (settings.dbt_target_dir / _PROFILE_MARK).write_text(_profile_mark(settings))
    _keep_parse(key, settings.dbt_target_dir)
    mark.write_text(key)
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
