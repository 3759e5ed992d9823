"""Superset's configuration for Puhui, loaded through SUPERSET_CONFIG_PATH.

It runs inside Superset's own virtualenv, where Puhui's settings module is not
importable. The launcher (``dagster_project/superset/server.py``) reads Puhui's
settings and hands Superset only ``SUPERSET_HOME`` (= ``$PUHUI_HOME/superset``);
Superset itself turns that into ``DATA_DIR``, so this file reads no environment.
"""

from __future__ import annotations

from pathlib import Path

from superset.config import DATA_DIR  # = $SUPERSET_HOME, set by the launcher

_HOME = Path(DATA_DIR)

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

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    # Row-level security is configured per role (one role per legal entity and
    # sub-branch, see dagster_project/superset/rls.py).
    "ROW_LEVEL_SECURITY": True,
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

# Served on localhost for one bank's staff; the reverse proxy (if any) terminates TLS.
TALISMAN_ENABLED = False
SESSION_COOKIE_SAMESITE = "Lax"
WTF_CSRF_ENABLED = True
# The test suite and the screenshot script log in repeatedly within seconds.
RATELIMIT_ENABLED = False

# rls.py creates one role per legal entity and sub-branch, and demo users, over
# the REST security API.
FAB_ADD_SECURITY_API = True

SQLLAB_CTAS_NO_LIMIT = True
ROW_LIMIT = 50000
