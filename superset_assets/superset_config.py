"""Superset's configuration for Puhui, loaded through SUPERSET_CONFIG_PATH.

It runs inside Superset's own virtualenv, where Puhui's settings module is not
importable. The launcher (``dagster_project/superset/server.py``) reads Puhui's
settings and hands Superset only ``SUPERSET_HOME`` (= ``$PUHUI_HOME/superset``);
Superset itself turns that into ``DATA_DIR``, so this file reads no environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from superset.config import DATA_DIR  # = $SUPERSET_HOME, set by the launcher
from superset.config import DISALLOWED_SQL_FUNCTIONS as _SUPERSET_DISALLOWED
from superset.security import SupersetSecurityManager

_HOME = Path(DATA_DIR)
# $PUHUI_HOME/superset -> $PUHUI_HOME/serving.duckdb (settings.Settings.serving_path):
# the one database Superset may open.
_SERVING = (_HOME.parent / "serving.duckdb").resolve()

# Generated once by the launcher and kept beside the metadata database: rotating it
# would make the stored (encrypted) database parameters unreadable.
SECRET_KEY = (_HOME / "secret_key").read_text().strip()

SQLALCHEMY_DATABASE_URI = f"sqlite:///{_HOME / 'superset.db'}"

# Leaders read the dashboards in Chinese; analysts may switch to English.
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "us", "name": "English"},
}

# Strings of Superset 6.1's Chinese pack, as a leader should read them. FLASK_APP_MUTATOR
# puts them in the pack the browser fetches:
# - the pivot table's totals, left empty in the pack, so they read "Total (求和)";
# - an empty card: Superset's Big Number prints "No data" (没有数据) for NULL, and under
#   it, when the card has no subtitle, the second string. A figure is NULL only where
#   the contract says so (indicators.md: a change whose period start is not loaded, a
#   ratio over 0), so the card reads — with the contract's reason beneath. Superset
#   uses "No data" for empty tables and option lists too, where — reads as well;
# - a chart whose query returns no row (a customer with no open opportunity in the
#   客户经营 lookup): the pack gives its second line as 要显示的可视化类型 ("the type
#   of visualization to display"), the translation of another string.
ZH_STRINGS = {
    "Total (%(aggregatorName)s)": "合计",
    "Total (%(aggfunc)s)": "合计",
    "Subtotal": "小计",
    "No data": "—",
    "No data after filtering or data is NULL for the latest time record":
        "口径为空：期初未加载或分母为0",
    "There is currently no information to display.": "所选条件下没有数据。",
}
_ZH_PACK_PATH = "/superset/language_pack/zh/"

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    # Row-level security is configured per role (one role per legal entity and
    # sub-branch, see dagster_project/superset/rls.py).
    "ROW_LEVEL_SECURITY": True,
    # ... and SQL Lab applies the same rules: a restricted analyst's SELECT on a
    # governed table is rewritten to read only their subtree (issue 13).
    "RLS_IN_SQLLAB": True,
    # Dashboard roles: a 支行 user opens the 万元 copies of the money dashboards, the
    # province and 法人行社 users the 亿元 ones (rls.sync_dashboard_roles). A dashboard
    # with no roles stays open to every reader, as before.
    "DASHBOARD_RBAC": True,
    "THUMBNAILS": False,
    "ALERT_REPORTS": False,
}

# No result cache: serving.duckdb is replaced by publish (rename over), and the
# next query must see the new file, never yesterday's cached figures.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
FILTER_STATE_CACHE_CONFIG = {
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": 86400,
}
EXPLORE_FORM_DATA_CACHE_CONFIG = FILTER_STATE_CACHE_CONFIG

# No internet here: deck.gl maps draw points on a plain background; no tile
# server and no Mapbox style is ever requested.
MAPBOX_API_KEY = ""
DECKGL_BASE_MAP = [["tile://", "无底图"]]

# Money in 元 with Chinese grouping; figures show as e.g. 1,234,567.89.
D3_FORMAT = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]}

# --- The serving database, locked (issue 12) ----------------------------------------
# A probe as admin read /etc/passwd with read_csv, the PII key with read_text, wrote a
# file with COPY ... TO (allow_dml does not stop COPY) and ATTACHed the warehouse. Every
# connection Superset opens to DuckDB therefore gets these settings, whatever the
# database's stored "extra" or URI query says (an admin can edit both): no file, no
# other database, no extension, and no SET to undo it.
DUCKDB_LOCKED_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "lock_configuration": True,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


class ServingOnly(ValueError):
    """A database other than the published serving.duckdb (refused, fail closed)."""


def _serving_only(url: Any) -> None:
    if url.get_backend_name() != "duckdb":
        raise ServingOnly(f"Puhui 只允许连接已发布的指标库（DuckDB {_SERVING.name}），"
                          f"不允许 {url.get_backend_name()} 连接")
    target = url.database or ""
    if target in ("", ":memory:") or Path(target).resolve() != _SERVING:
        raise ServingOnly(f"Puhui 只允许连接已发布的指标库 {_SERVING.name}（只读）")


# Checked when an admin adds or tests a database: anything but serving.duckdb is refused.
DB_SQLA_URI_VALIDATOR = _serving_only


def DB_CONNECTION_MUTATOR(uri: Any, params: dict[str, Any], username: str | None,  # noqa: N802
                          security_manager: Any, source: Any) -> tuple[Any, dict[str, Any]]:
    """Every engine Superset creates: serving.duckdb only, read-only, locked down."""
    _serving_only(uri)
    # URI query parameters become DuckDB settings in duckdb_engine: drop them all.
    uri = uri.set(query={})
    connect_args = params.get("connect_args") or {}
    agent = (connect_args.get("config") or {}).get("custom_user_agent")
    config = dict(DUCKDB_LOCKED_CONFIG, **({"custom_user_agent": agent} if agent else {}))
    # No preload_extensions or register_filesystems either: only these two arguments.
    params["connect_args"] = {"read_only": True, "config": config}
    return uri, params


# DuckDB's query('<sql>') and query_table('<name>') take a table as text, hidden from
# SQL Lab's access check and RLS. (File readers such as read_csv need no entry: with
# external access off DuckDB refuses them, saying file system operations are disabled.)
DISALLOWED_SQL_FUNCTIONS = {
    **_SUPERSET_DISALLOWED,
    "duckdb": {"query", "query_table"},
}


def _refusal(message: str) -> Exception:
    from superset.errors import ErrorLevel, SupersetError, SupersetErrorType
    from superset.exceptions import SupersetErrorException

    return SupersetErrorException(SupersetError(
        message=message, error_type=SupersetErrorType.DML_NOT_ALLOWED_ERROR,
        level=ErrorLevel.ERROR))


def read_only_select(sql: str) -> None:
    """Refuse anything but a plain query (SELECT / WITH / UNION), naming the statement.

    Superset's SQL Lab checks access and applies RLS to the tables it finds in a
    statement. DuckDB statements such as PIVOT, SUMMARIZE, DESCRIBE, ATTACH or CALL,
    even nested in a SELECT, hide their table from that search, so a restricted user
    would read it whole. Only queries are run, and only when every table they name
    is one Superset saw (and so checked and filtered).
    """
    from sqlglot import exp
    from superset.sql.parse import SQLScript

    for statement in SQLScript(sql, engine="duckdb").statements:
        tree = statement._parsed  # noqa: SLF001 - the sqlglot tree Superset checked
        kind = type(tree).__name__.upper()
        if not isinstance(tree, exp.Query) or isinstance(tree, exp.Command):
            raise _refusal(f"普惠指标库是只读的：SQL 实验室只执行查询（SELECT / WITH / UNION），"
                           f"{kind} 语句已拒绝。")
        hidden = tree.find(exp.Pivot, exp.Summarize, exp.Describe, exp.Command)
        if hidden is not None and not (isinstance(hidden, exp.Pivot)
                                       and isinstance(hidden.parent, exp.Table)):
            raise _refusal(f"普惠指标库是只读的：查询中不允许 {type(hidden).__name__.upper()} "
                           f"子句，请改写为普通 SELECT。")
        seen = {t.table.lower() for t in statement.tables}
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            name = table.name.lower()
            if name and name not in seen and name not in ctes:
                raise _refusal(f"普惠指标库是只读的：无法核对查询中的表 {table.name} 的权限，"
                               f"已拒绝。")


class PuhuiSecurityManager(SupersetSecurityManager):
    """Superset's security manager, with a refusal a bank's analyst can read."""

    def get_table_access_error_msg(self, tables: set[Any]) -> str:
        # A table function (read_csv, read_text, query_table ...) reaches the access
        # check as a nameless table in schema main: "You need access to `main`" says
        # nothing useful, so name what was refused.
        named = sorted(str(t) for t in tables if t.table)
        parts = []
        if named:
            parts.append(f"无权读取 {', '.join(named)}：只能查询授权给您的普惠数据集")
        if len(named) < len(tables):
            parts.append("不允许用表函数（read_csv、read_text、query_table 等）读取文件或其他表")
        return "；".join(parts) + "。"


CUSTOM_SECURITY_MANAGER = PuhuiSecurityManager


def SQL_QUERY_MUTATOR(sql: str, **kwargs: Any) -> str:  # noqa: N802
    database = kwargs.get("database")
    if database is not None and database.backend == "duckdb":
        read_only_select(sql)
    return sql


# --- Security headers (issue 12) -------------------------------------------------------
# CSP, X-Frame-Options and nosniff through flask-talisman. Nothing is fetched from
# outside (no map tiles, no fonts, no analytics beacons), so every source is 'self';
# deck.gl and ECharts draw with web workers and canvases from blob:/data: URLs.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "frame_options": "SAMEORIGIN",
    "x_content_type_options": True,  # X-Content-Type-Options: nosniff
    "referrer_policy": "same-origin",
    # Served over plain HTTP on localhost. Before exposing Superset beyond it, put TLS
    # in front and set these two (and SESSION_COOKIE_SECURE) to True: docs/operations.md.
    "force_https": False,
    "session_cookie_secure": False,
}
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = False
WTF_CSRF_ENABLED = True

# --- Login rate limit (issue 12) ------------------------------------------------------
# 60 wrong passwords in 17 s were all answered, then the right one let the caller in.
# Both logins (the form, /login/, and the REST API, /api/v1/security/login) allow
# AUTH_RATE_LIMIT attempts per client address and user name; past that every attempt
# for that user, the right password included, gets 429 until the window has passed.
# Keyed by user too, so one person mistyping on a shared NAT address locks out no one
# else. Counters live in each gunicorn worker's memory (2 workers: at most twice this).
RATELIMIT_ENABLED = True
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = "10 per minute"
RATELIMIT_APPLICATION = "100 per second"
RATELIMIT_STORAGE_URI = "memory://"
_LOGIN_PATHS = ("/login/", "/api/v1/security/login")


def RATELIMIT_KEY_FUNC() -> str:  # noqa: N802
    from flask import request
    from flask_limiter.util import get_remote_address

    user = ""
    if request.method == "POST" and request.path in _LOGIN_PATHS:
        body = request.get_json(silent=True) if request.is_json else None
        user = str((body or {}).get("username") or request.form.get("username") or "")
    return f"{get_remote_address()}|{user[:100]}"


def FLASK_APP_MUTATOR(app: Any) -> None:  # noqa: N802
    """Limit every view that takes a login POST, and say "read-only" for refused DML.

    Superset 6.1 puts AUTH_RATE_LIMIT on its own login page's blueprint, but the POST
    of the login form is answered by Flask-AppBuilder's view, registered after it with
    the limit switched off, and the REST login never had one: both get it here.
    """
    from flask import request

    limiter = app.appbuilder.sm.limiter
    login_blueprints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()
                        if rule.rule in _LOGIN_PATHS and "POST" in (rule.methods or ())}
    for name in sorted(login_blueprints):
        limiter.limit(AUTH_RATE_LIMIT, methods=["POST"],
                      exempt_when=lambda: request.path not in _LOGIN_PATHS)(app.blueprints[name])
    _read_only_dml_message()
    _complete_zh_language_pack(app)
    _sqlite_metadata_in_wal_mode()


def _sqlite_metadata_in_wal_mode() -> None:
    """Write Superset's SQLite metadata (superset.db) through a write-ahead log.

    Superset logs every chart request in its ``logs`` table (who asked for what: kept,
    it is the access trail). With SQLite's default rollback journal each log row is a
    synced commit, about a tenth of a chart request's time (docs/benchmarks.md), and the
    two gunicorn workers lock each other out of the file. In WAL mode readers do not
    block the writer, and ``synchronous=NORMAL`` syncs at checkpoints, not at every
    commit: a power cut can lose the last few log rows, never corrupt the file.
    The serving DuckDB is untouched (its engines are not sqlite3 connections).
    """
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()


def _complete_zh_language_pack(app: Any) -> None:
    """Serve the Chinese language pack with ZH_STRINGS in it.

    Superset's view sends its file as is; an after-request hook swaps the body of a
    successful answer only, so the view's own access check and every other language
    stay Superset's."""
    import json

    from flask import Response, request
    from superset.translations import utils as packs

    with open(Path(packs.DIR) / "zh" / "LC_MESSAGES" / "messages.json", encoding="utf-8") as f:
        pack = json.load(f)
    messages = pack["locale_data"]["superset"]
    for msgid, text in ZH_STRINGS.items():
        messages[msgid] = [text]
    body = json.dumps(pack, ensure_ascii=False)

    @app.after_request
    def completed_pack(response: Any) -> Any:
        if request.path != _ZH_PACK_PATH or response.status_code != 200:
            return response
        return Response(body, mimetype="application/json")


def _read_only_dml_message() -> None:
    """A DML statement in SQL Lab is refused (allow_dml is off) with Superset's
    SupersetDMLNotAllowedException, whose Chinese catalogue entry reads "找不到此查询中
    引用的数据库" (the database cannot be found), which is wrong: say what happened."""
    from superset import exceptions
    from superset.errors import ErrorLevel, SupersetError, SupersetErrorType

    def __init__(self: Any) -> None:  # noqa: N807
        exceptions.SupersetErrorException.__init__(self, SupersetError(
            message="普惠指标库是只读的：不允许修改数据或表（INSERT / UPDATE / DELETE / CREATE "
                    "等），SQL 实验室只执行查询（SELECT）。",
            error_type=SupersetErrorType.DML_NOT_ALLOWED_ERROR, level=ErrorLevel.ERROR))

    exceptions.SupersetDMLNotAllowedException.__init__ = __init__
