"""Import the committed bundle into a running Superset, and export it back.

Import goes through the public REST API (``/api/v1/assets/import/``), the
same path an operator's upload takes; it overwrites by uuid, so importing the
same bundle twice changes nothing. The database URI is filled in here from
settings (``serving_path``), never committed.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import yaml

from dagster_project.superset.bundle import ASSETS_DIR, SERVING_URI_PLACEHOLDER
from dagster_project.superset.client import SupersetClient

BUNDLE_ROOT = "puhui_assets"


def serving_uri(serving_path: Path) -> str:
    return f"duckdb:///{serving_path.resolve()}"


def bundle_zip(serving_path: Path, root: Path = ASSETS_DIR) -> bytes:
    """The export bundle as Superset expects an upload: one folder, YAML inside."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            if path.parent.name == "databases":
                text = text.replace(SERVING_URI_PLACEHOLDER, serving_uri(serving_path))
            zf.writestr(f"{BUNDLE_ROOT}/{path.relative_to(root)}", text)
    return buf.getvalue()


def import_bundle(client: SupersetClient, serving_path: Path, root: Path = ASSETS_DIR) -> None:
    payload = bundle_zip(serving_path, root)
    client.request(
        "POST", "/api/v1/assets/import/",
        files={"bundle": ("puhui_assets.zip", payload, "application/zip")},
        data={"passwords": "{}"},
    )


def export_all(client: SupersetClient) -> dict[str, dict[str, Any]]:
    """Every asset as Superset exports it now: path inside the bundle -> parsed YAML."""
    r = client.request("GET", "/api/v1/assets/export/")
    out: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        for name in zf.namelist():
            if name.endswith(".yaml"):
                rel = name.split("/", 1)[1]
                out[rel] = yaml.safe_load(zf.read(name))
    return out


def ids_by_uuid(client: SupersetClient, resource: str) -> dict[str, int]:
    """uuid -> instance-local id for charts, datasets or dashboards."""
    rows = client.list_all(resource, ["id", "uuid"])
    return {str(r["uuid"]): r["id"] for r in rows}


def chart_data(client: SupersetClient, query_context: dict[str, Any]) -> list[dict[str, Any]]:
    """POST a chart-data request; return the rows of its (single) query."""
    res = client.post("/api/v1/chart/data", json=json.loads(json.dumps(query_context)))
    result = res["result"][0]
    if result.get("error"):
        raise RuntimeError(result["error"])
    return result["data"]
