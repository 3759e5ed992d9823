"""Settings: the one place that reads the environment.

Values come from, highest first: ``PUHUI_*`` environment variables, the TOML file
named by ``PUHUI_CONFIG`` (default ``$PUHUI_HOME/puhui.toml``), then the defaults
below. ``PUHUI_HOME`` (default ``./.puhui``) holds every file the system writes.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _config_file() -> Path:
    explicit = os.environ.get("PUHUI_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("PUHUI_HOME", ".puhui")) / "puhui.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUHUI_", extra="ignore")

    home: Path = Field(default=Path(".puhui"), description="Root of every file Puhui writes.")
    landing: Path | None = Field(
        default=None, description="Folder the union delivers into (default $PUHUI_HOME/landing)."
    )
    pii_key: SecretStr | None = Field(
        default=None,
        description="Key for the keyed hashes of ID numbers and phones. If unset, one is "
        "generated on first use and kept in $PUHUI_HOME/secrets/pii.key (stable across runs).",
    )
    threads: int = Field(default=2, description="DuckDB / dbt worker threads.")
    memory_limit: str = Field(default="12GB", description="DuckDB memory_limit for loads.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    # --- derived paths: everything lives under home -------------------------------
    @property
    def landing_dir(self) -> Path:
        return self.landing if self.landing is not None else self.home / "landing"

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file loads and dbt write to (one writer at a time)."""
        return self.home / "warehouse.duckdb"

    @property
    def serving_path(self) -> Path:
        """The published, read-only copy Superset reads (replaced atomically)."""
        return self.home / "serving.duckdb"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def superset_home(self) -> Path:
        return self.home / "superset"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    def ensure_dirs(self) -> None:
        for d in (self.home, self.quarantine_dir, self.dagster_home, self.logs_dir,
                  self.secrets_dir):
            d.mkdir(parents=True, exist_ok=True)

    def resolved_pii_key(self) -> bytes:
        """The PII hashing key: from settings, else generated once and kept on disk."""
        if self.pii_key is not None:
            return self.pii_key.get_secret_value().encode()
        path = self.secrets_dir / "pii.key"
        if not path.exists():
            self.secrets_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            os.replace(tmp, path)
        return path.read_text().strip().encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    s = Settings()
    s.home = s.home.resolve()
    if s.landing is not None:
        s.landing = s.landing.resolve()
    return s
