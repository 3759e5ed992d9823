"""Row-level security from the org tree, a reader role, and demo users.

One Superset role per legal entity (法人行社, level 2) and per sub-branch
(支行, level 3), each with a Regular RLS rule on every governed dataset:
``lvl2_org_no = '<org>'`` or ``lvl3_org_no = '<org>'``. A user holding one of
these roles plus the reader role sees only that subtree's rows, in every chart
and filter (the province row has no lvl2_org_no, so it is hidden too).
Everything is idempotent: names are looked up before anything is created.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.superset.bundle import DATABASE_NAME, uuid_for
from dagster_project.superset.client import SupersetClient
from dagster_project.superset.datasets import all_datasets

READER_ROLE = "普惠看板读者"
LEVEL_COLUMN = {2: "lvl2_org_no", 3: "lvl3_org_no"}
LEVEL_PREFIX = {2: "法人行社", 3: "支行"}


@dataclass(frozen=True)
class OrgRole:
    org_no: str
    org_name: str
    level: int

    @property
    def role_name(self) -> str:
        return f"{LEVEL_PREFIX[self.level]}_{self.org_no}_{self.org_name}"

    @property
    def clause(self) -> str:
        # org_no comes from our own serving file, but quote-escape anyway: it ends up in SQL.
        return f"{LEVEL_COLUMN[self.level]} = '{self.org_no.replace(chr(39), chr(39) * 2)}'"


def org_roles(serving_path: Path) -> list[OrgRole]:
    """Legal entities and sub-branches of the latest org tree (dim_org)."""
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        rows = con.execute(
            "select org_no, org_name, org_level from dim_org where org_level in (2, 3) "
            "order by org_level, org_no").fetchall()
    finally:
        con.close()
    return [OrgRole(str(no), str(name), int(level)) for no, name, level in rows]


def _role_ids(client: SupersetClient) -> dict[str, int]:
    rows = client.list_all("security/roles", ["id", "name"])
    return {r["name"]: r["id"] for r in rows}


def ensure_role(client: SupersetClient, name: str, known: dict[str, int]) -> int:
    if name not in known:
        known[name] = client.post("/api/v1/security/roles/", json={"name": name})["id"]
    return known[name]


def ensure_reader_role(client: SupersetClient) -> int:
    """A role that may read our one database (all governed datasets), nothing else."""
    role_id = ensure_role(client, READER_ROLE, _role_ids(client))
    db_id = next(d["id"] for d in client.list_all("database", ["id", "database_name"])
                 if d["database_name"] == DATABASE_NAME)
    view = f"[{DATABASE_NAME}].(id:{db_id})"
    perms = client.list_all("security/permissions-resources",
                            ["id", "permission.name", "view_menu.name"])
    wanted = [p["id"] for p in perms
              if p["permission"]["name"] == "database_access" and p["view_menu"]["name"] == view]
    if not wanted:
        raise RuntimeError(f"no database_access permission on {view}; import the bundle first")
    client.post(f"/api/v1/security/roles/{role_id}/permissions",
                json={"permission_view_menu_ids": wanted})
    return role_id


def sync_rls(client: SupersetClient, serving_path: Path) -> dict[str, int]:
    """One role and one RLS rule per legal entity and sub-branch; returns role ids."""
    known = _role_ids(client)
    dataset_ids = {r["uuid"]: r["id"] for r in client.list_all("dataset", ["id", "uuid"])}
    tables = sorted(dataset_ids[uuid_for("dataset", d.key)] for d in all_datasets())
    rules = {r["name"]: r for r in client.list_all(
        "rowlevelsecurity", ["id", "name", "clause", "roles.id", "tables.id"])}
    out: dict[str, int] = {}
    for org in org_roles(serving_path):
        role_id = ensure_role(client, org.role_name, known)
        out[org.role_name] = role_id
        body = {"name": f"RLS {org.role_name}", "filter_type": "Regular",
                "tables": tables, "roles": [role_id], "clause": org.clause,
                "group_key": "org", "description": f"{org.org_name} 只看本机构及下辖机构"}
        existing = rules.get(body["name"])
        if existing is None:
            client.post("/api/v1/rowlevelsecurity/", json=body)
        elif (existing["clause"] != org.clause
              or sorted(t["id"] for t in existing["tables"]) != tables
              or [r["id"] for r in existing["roles"]] != [role_id]):
            client.put(f"/api/v1/rowlevelsecurity/{existing['id']}", json=body)
    return out


def ensure_user(client: SupersetClient, username: str, password: str, roles: list[int],
                first: str, last: str) -> int:
    users = {u["username"]: u for u in client.list_all("security/users", ["id", "username"])}
    body = {"first_name": first, "last_name": last, "username": username,
            "email": f"{username}@puhui.local", "active": True, "roles": roles}
    if username in users:
        uid = users[username]["id"]
        client.put(f"/api/v1/security/users/{uid}", json={**body, "password": password})
        return uid
    return client.post("/api/v1/security/users/", json={**body, "password": password})["id"]


def create_demo_users(client: SupersetClient, serving_path: Path, secrets_file: Path,
                      every_org: bool = False) -> dict[str, dict[str, str]]:
    """Demo users: one province reader, one per level (or per org with every_org).

    Passwords are generated, kept in ``secrets_file`` (mode 600) and reused, so
    re-running changes nothing. Returns {username: {password, role, org_no}}.
    """
    reader = ensure_reader_role(client)
    roles = sync_rls(client, serving_path)
    stored: dict[str, dict[str, str]] = (
        json.loads(secrets_file.read_text()) if secrets_file.exists() else {})
    wanted: list[tuple[str, str, list[int], str]] = [("demo_province", "", [reader], "全省")]
    by_level: dict[int, int] = {}
    for org in org_roles(serving_path):
        by_level[org.level] = by_level.get(org.level, 0) + 1
        if every_org or by_level[org.level] == 1:
            user = f"demo_{'legal' if org.level == 2 else 'branch'}_{org.org_no}"
            wanted.append((user, org.org_no, [reader, roles[org.role_name]], org.org_name))
    for user, org_no, role_ids, label in wanted:
        entry = stored.get(user) or {"password": secrets.token_urlsafe(12)}
        entry.update(org_no=org_no, label=label)
        ensure_user(client, user, entry["password"], role_ids + _gamma(client), "演示", label)
        stored[user] = entry
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = secrets_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(stored, ensure_ascii=False, indent=2))
    tmp.chmod(0o600)
    tmp.replace(secrets_file)
    return stored


def _gamma(client: SupersetClient) -> list[int]:
    """Superset's built-in Gamma role: log in and view dashboards, no SQL Lab."""
    return [_role_ids(client)["Gamma"]]
