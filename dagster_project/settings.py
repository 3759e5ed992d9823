"""Settings: the one place that reads the environment.

Values come from, highest first: ``PUHUI_*`` environment variables, the TOML file
named by ``PUHUI_CONFIG`` (default ``$PUHUI_HOME/puhui.toml``), then the defaults
below. ``PUHUI_HOME`` (default ``./.puhui``) holds every file the system writes.
"""

from __future__ import annotations

import os
import secrets
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Files Puhui creates are readable by their owner only (see Settings.ensure_dirs).
PRIVATE_UMASK = 0o077


def _config_file() -> Path:
    explicit = os.environ.get("PUHUI_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("PUHUI_HOME", ".puhui")) / "puhui.toml"


class BriefingRecipient(BaseModel):
    """Who receives the morning briefing of one org (issue 16): a legal entity (level 2)
    or a sub-branch (level 3) gets that org's figures and its subtree's warnings only,
    the same scope as row-level security. Channels as the alerts' (webhook, e-mail).
    The opportunity push (issue 15, ``opportunity_recipients``) uses the same shape: the
    org's subtree's new opportunities."""

    org_no: str = Field(description="The org whose briefing this recipient receives.")
    webhook_url: SecretStr | None = Field(
        default=None, description="Group-robot webhook of this org (its key is a secret).")
    webhook_style: Literal["wecom", "dingtalk"] = Field(default="wecom")
    webhook_secret: SecretStr | None = Field(
        default=None, description="DingTalk robot signing secret (加签).")
    mail_to: list[str] = Field(default_factory=list, description="E-mail recipients.")


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
    # --- Audit gate (issue 7) ----------------------------------------------------
    audit_dep_move_max: float = Field(
        # An outlet's deposits swing a third in a day when year-end 时点冲存 flows back or a
        # corporate client moves its money; half the balance gone (or doubled) overnight is
        # what a lost file chunk or a mis-keyed balance looks like.
        default=0.5,
        description="Largest day-over-day move of an org's DEP_BAL, as a share of the previous "
        "day's, that passes the audit without a row in meta.audit_explanation.",
    )
    audit_dep_move_min_amount: float = Field(
        default=0.0,
        description="Moves smaller than this many yuan pass whatever their share (to spare "
        "tiny outlets); 0 checks every move.",
    )
    audit_incl_npl_tolerance: float = Field(
        default=0.03,
        description="Regulator's tolerance: INCL_NPL_RATIO above NPL_RATIO + this is flagged.",
    )
    audit_incl_npl_max_level: int = Field(
        default=2,
        description="Flag the inclusive-NPL tolerance for orgs of this level and above "
        "(1 省联社, 2 法人行社): the tolerance applies to a bank, not an outlet.",
    )
    # --- Alerts (issue 7) ---------------------------------------------------------
    alert_webhook_url: SecretStr | None = Field(
        default=None,
        description="Group-robot webhook (WeCom or DingTalk); its key is a secret.",
    )
    alert_webhook_style: Literal["wecom", "dingtalk"] = Field(
        default="wecom", description="JSON body style of the webhook."
    )
    alert_webhook_secret: SecretStr | None = Field(
        default=None,
        description="DingTalk robot signing secret (加签); adds timestamp and sign to the URL.",
    )
    alert_smtp_host: str | None = Field(default=None, description="SMTP server for alert mail.")
    alert_smtp_port: int = Field(default=25, description="SMTP port.")
    alert_smtp_starttls: bool = Field(default=False, description="Use STARTTLS.")
    alert_smtp_user: str | None = Field(default=None, description="SMTP login, if needed.")
    alert_smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    alert_mail_from: str | None = Field(default=None, description="Sender of alert mail.")
    alert_mail_to: list[str] = Field(
        default_factory=list,
        description='Recipients of alert mail (env: JSON list, e.g. \'["ops@bank.cn"]\').',
    )
    alert_timeout_seconds: float = Field(
        default=10.0, description="Timeout of one webhook post or SMTP session."
    )
    late_delivery_deadline: time = Field(
        default=time(9, 0),
        description="Beijing time by which yesterday's DONE_<D>.flg must exist, else a "
        "late_delivery alert is raised (once per date).",
    )
    # --- Morning briefing and business early warnings (issue 16) -------------------
    briefing_recipients: list[BriefingRecipient] = Field(
        default_factory=list,
        description="Briefing recipients per legal entity / sub-branch (TOML: "
        "[[briefing_recipients]] tables; env: a JSON list). Empty: nothing is sent.",
    )
    briefing_dashboard_url: str | None = Field(
        default=None,
        description="Base URL of Superset as the recipients' phones reach it (e.g. "
        "https://bi.bank.cn); default http://127.0.0.1:<superset_port>.",
    )
    briefing_image: bool = Field(
        default=True,
        description="Render the cockpit picture (headless Chromium) into the briefing.",
    )
    briefing_image_timeout_seconds: float = Field(
        default=60.0, description="Time allowed to one Chromium render of a cockpit picture."
    )
    # --- Opportunity push 商机推送 (issue 15) ------------------------------------------
    opportunity_recipients: list[BriefingRecipient] = Field(
        default_factory=list,
        description="Who receives the new opportunities (customer-ops.md §4) after each "
        "publish, per org: an org gets the events owned in its subtree, one message per "
        "publish (TOML: [[opportunity_recipients]] tables, the briefing recipients' shape; "
        "env: a JSON list). Empty: nothing is sent.",
    )
    opportunity_max_lines: int = Field(
        default=50, ge=1,
        description="Most events listed in one message; the rest are counted (及其他 N 条) "
        "and left to the dashboard. A robot message is also kept under WeCom's 4096 bytes.",
    )
    opportunity_dashboard_slug: str = Field(
        default="customer-ops",
        description="Superset dashboard an opportunity message links to: 客户经营, whose "
        "客户经理在途商机清单 lists each manager's open events (a 支行 gets a 万元 copy when "
        "the dashboard has one).",
    )
    threads: int = Field(default=2, description="DuckDB / dbt worker threads.")
    memory_limit: str = Field(default="12GB", description="DuckDB memory_limit for loads.")
    dbt_log_level_file: Literal["debug", "info", "warn", "error", "none"] = Field(
        default="info",
        description="Level of dbt's own log file, $PUHUI_HOME/dbt/target/dbt.log (dbt's "
        "DBT_LOG_LEVEL_FILE): info, what dbt prints; debug adds every SQL statement dbt "
        "sends, about a tenth of a tiny night's dbt CPU; none writes no file.",
    )
    # --- ingestion (issue 4) ---
    load_txn_pause_s: float = Field(
        default=0.0,
        description="Testing aid: seconds a load holds its transaction open before COMMIT, so "
        "the crash-safety test can SIGKILL a load mid-date. Keep 0 in production.",
    )
    publish_standby_after_dates: int = Field(
        default=45,
        description="A night's publish writes its new file from the standby (the file served "
        "before the last publish, brought up to date) once the served file holds more "
        "business dates than this, and keeps one only then; below it, copying the served "
        "file costs less than writing the last publish's dates again (docs/benchmarks.md, "
        "bank scale: the two cross near 45 dates). 0: always from the standby.",
    )
    publish_pause_s: float = Field(
        default=0.0,
        description="Testing aid: seconds publish waits after writing the new serving file and "
        "before renaming it over serving.duckdb, so the write-audit-publish test can SIGKILL a "
        "publish mid-way. Keep 0 in production.",
    )
    checks_max_rows: int = Field(
        default=200_000,
        description="Great Expectations validates at most this many rows per raw table and "
        "date (a repeatable sample); the SQL validation covers every row.",
    )
    ingest_parallel_min_bytes: int = Field(
        default=64 << 20,
        description="Deliveries at least this big are transcoded by a process per core.",
    )
    # --- Orchestration (issue 11) -------------------------------------------------
    delivery_sensor_interval_s: int = Field(
        default=30,
        description="Seconds between two ticks of the delivery sensor; each tick launches "
        "at most one step of the night (a load, or a build-audit-publish).",
    )
    # --- Superset (issue 6) -------------------------------------------------------
    superset_port: int = Field(default=8088, description="Port Superset listens on (localhost).")
    dagster_port: int = Field(default=3000, description="Port of the Dagster UI (localhost).")
    superset_admin_password: SecretStr | None = Field(
        default=None,
        description="Password of Superset's `admin`. If unset, one is generated on first start, "
        "printed once and kept in $PUHUI_HOME/superset/admin_password (mode 600).",
    )
    superset_venv: Path | None = Field(
        default=None,
        description="Superset's own virtualenv (it pins sqlalchemy<2, pandas<2.2); "
        "default <repo>/.venv-superset.",
    )

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
    def manual_dir(self) -> Path:
        """Where the bank drops manual data (补录, customer-ops.md §6: the blacklist); the
        manual sensor moves each file on to ``loaded/`` or ``rejected/`` below it."""
        return self.home / "manual"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def superset_home(self) -> Path:
        return self.home / "superset"

    @property
    def superset_venv_dir(self) -> Path:
        if self.superset_venv is not None:
            return self.superset_venv
        return Path(__file__).resolve().parents[1] / ".venv-superset"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def outbox_dir(self) -> Path:
        """Rendered briefings (``puhui briefing --dry-run`` and every real send)."""
        return self.home / "outbox"

    @property
    def dashboard_base_url(self) -> str:
        return (self.briefing_dashboard_url or f"http://127.0.0.1:{self.superset_port}").rstrip("/")

    @property
    def tmp_dir(self) -> Path:
        """Scratch space: UTF-8 copies of delivery files, DuckDB spill files."""
        return self.home / "tmp"

    def ensure_dirs(self) -> None:
        # Everything under home is the bank's: the warehouse, the published store,
        # Superset's password hashes, the PII key and the quarantine (clear-text PII).
        # A probe found them 644 in a 755 home (issue 12): from here on every file this
        # process and its children create is owner-only, and home is 700.
        os.umask(PRIVATE_UMASK)
        for d in (self.home, self.quarantine_dir, self.dagster_home, self.logs_dir,
                  self.secrets_dir, self.manual_dir, self.manual_dir / "loaded",
                  self.manual_dir / "rejected"):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.make_private()

    def make_private(self) -> None:
        """Home 700, and the files that hold data or secrets 600, also in a home made by
        an older version (where they were 755 and 644)."""
        # manual/ holds the blacklist files as handed in: ID numbers and names in clear
        for d in (self.home, self.quarantine_dir, self.secrets_dir, self.superset_home,
                  self.manual_dir, self.manual_dir / "loaded", self.manual_dir / "rejected"):
            if d.is_dir() and not d.is_symlink():
                d.chmod(0o700)
        sensitive = [self.warehouse_path, self.serving_path,
                     *(self.superset_home.glob("superset.db*") if self.superset_home.is_dir()
                       else []),
                     *(self.secrets_dir.glob("*") if self.secrets_dir.is_dir() else [])]
        for f in sensitive:
            if f.is_file() and not f.is_symlink():
                f.chmod(0o600)

    def resolved_pii_key(self) -> bytes:
        """The PII hashing key: from settings, else generated once and kept on disk."""
        if self.pii_key is not None:
            return self.pii_key.get_secret_value().encode()
        path = self.secrets_dir / "pii.key"
        if not path.exists():
            self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:  # never readable by others, even briefly
                f.write(secrets.token_hex(32))
            os.replace(tmp, path)
        return path.read_text().strip().encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    s = Settings()
    s.home = s.home.resolve()
    if s.landing is not None:
        s.landing = s.landing.resolve()
    return s
