"""Who may read what in Superset: governed datasets, row-level security, demo users.

Access fails closed (issue 12). The reader role gets ``datasource_access`` on each
governed dataset, never ``database_access`` on the serving database: a dataset an
admin adds later is readable by no restricted user until it is governed here.
"Governed" means defined in code (:func:`datasets.all_datasets`, the bundle), so a
dataset added to the bundle is governed and covered by the rules on the next sync.

One Superset role per legal entity (法人行社, level 2) and per sub-branch (支行,
level 3), each with a Regular RLS rule on every governed dataset:
``lvl2_org_no = '<org>'`` or ``lvl3_org_no = '<org>'``. A user holding one of these
roles plus the reader role sees only that subtree's rows, in every chart, filter and
(with ``RLS_IN_SQLLAB``) SQL Lab query; the province row has no lvl2_org_no, so it is
hidden too. A user with no org role fails closed as well: a Base rule on every
governed dataset filters it to no rows for any user who holds neither an org role,
nor the province role, nor Admin, so a reader given no org by mistake sees nothing
(not the province, and no customer of the 客户经营 datasets).
The analyst role (分析员) adds Explore and SQL Lab on the serving database,
read-only (issue 13). :func:`access_problems` lists any dataset a restricted user
could read without a rule; ``puhui superset check --url`` and the tests run it.
Everything is idempotent: names are looked up before anything is created.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.superset.bundle import uuid_for
from dagster_project.superset.client import SupersetClient
from dagster_project.superset.datasets import all_datasets

READER_ROLE = "普惠看板读者"
ANALYST_ROLE = "普惠分析员"
# Province-wide readers (no org role, no RLS rule: every row). It holds no permission;
# it only names who opens the 亿元 dashboards (DASHBOARD_RBAC, sync_dashboard_roles).
PROVINCE_ROLE = "全省看板"
# Superset's own roles: Gamma views dashboards and explores the datasets a user may
# read; sql_lab opens SQL Lab (what a query may touch is still the datasets above).
GAMMA_ROLE = "Gamma"
SQL_LAB_ROLE = "sql_lab"
# Permissions that open a whole database, schema or every dataset: a restricted role
# holding one would read datasets that no RLS rule covers.
BROAD_PERMISSIONS = ("database_access", "schema_access", "catalog_access",
                     "all_datasource_access", "all_database_access")
# Superset's own administrators (they import the bundle and see every row).
ADMIN_ROLE = "Admin"
# The Base rule on every governed dataset: a user outside its roles (Admin, the
# province role, the org roles) reads no row (Superset applies a Base rule to those
# who hold none of its roles), so being given no org fails closed.
BASE_RULE = "RLS 仅限机构角色"
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


class SupersetNotReady(RuntimeError):
    """The bundle is not (yet) imported, or nothing is published: nothing to grant."""


def org_roles(serving_path: Path) -> list[OrgRole]:
    """Legal entities and sub-branches of the latest org tree (dim_org)."""
    if not serving_path.exists():
        raise SupersetNotReady(f"{serving_path} does not exist yet: run `puhui run` first, "
                               "the roles come from the published org tree")
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


def governed_datasets(client: SupersetClient) -> dict[str, int]:
    """Every dataset defined in code (the bundle), as {key: instance-local id}."""
    ids = {str(r["uuid"]): r["id"] for r in client.list_all("dataset", ["id", "uuid"])}
    wanted = {d.key: uuid_for("dataset", d.key) for d in all_datasets()}
    missing = sorted(k for k, u in wanted.items() if u not in ids)
    if missing:
        raise SupersetNotReady(
            f"Superset has no dataset {', '.join(missing)} yet: the bundle is not imported "
            "(wait until `puhui serve` has finished starting, or run `puhui superset import`)")
    return {k: ids[u] for k, u in wanted.items()}


def _pvms(client: SupersetClient) -> list[dict[str, Any]]:
    return client.list_all("security/permissions-resources",
                           ["id", "permission.name", "view_menu.name"])


def _dataset_perms(client: SupersetClient) -> dict[int, str]:
    """Dataset id -> the view menu of its datasource_access permission."""
    rows = client.list_all("dataset", ["id", "table_name", "database.database_name"])
    return {r["id"]: f"[{r['database']['database_name']}].[{r['table_name']}](id:{r['id']})"
            for r in rows}


def ensure_reader_role(client: SupersetClient) -> int:
    """The reader role: datasource_access on each governed dataset, and nothing else.

    Its permission list is replaced, so a database_access left by an older version
    (which let restricted users read any dataset an admin added) is removed.
    """
    role_id = ensure_role(client, READER_ROLE, _role_ids(client))
    views = {v for k, v in _dataset_perms(client).items()
             if k in set(governed_datasets(client).values())}
    wanted = [p["id"] for p in _pvms(client)
              if p["permission"]["name"] == "datasource_access" and p["view_menu"]["name"] in views]
    if len(wanted) != len(views):
        raise SupersetNotReady(f"datasource_access exists for {len(wanted)} of {len(views)} "
                               "governed datasets; import the bundle first")
    client.post(f"/api/v1/security/roles/{role_id}/permissions",
                json={"permission_view_menu_ids": wanted})
    return role_id


def ensure_analyst_role(client: SupersetClient) -> int:
    """The analyst role (分析员): SQL Lab's own permissions, no data of its own.

    What an analyst may query comes from the reader role (governed datasets only) and
    which rows from their org role (RLS, applied in SQL Lab too); the serving database
    is read-only and locked (superset_config.py), so SQL Lab only reads.
    """
    known = _role_ids(client)
    if SQL_LAB_ROLE not in known:
        raise SupersetNotReady("Superset's sql_lab role is missing: `superset init` has "
                               "not run (start Superset with `puhui serve` first)")
    role_id = ensure_role(client, ANALYST_ROLE, known)
    perms = client.get(f"/api/v1/security/roles/{known[SQL_LAB_ROLE]}/permissions/")["result"]
    by_name = {(p["permission"]["name"], p["view_menu"]["name"]): p["id"] for p in _pvms(client)}
    wanted = sorted(by_name[(p["permission_name"], p["view_menu_name"])] for p in perms
                    if p["permission_name"] not in BROAD_PERMISSIONS)
    client.post(f"/api/v1/security/roles/{role_id}/permissions",
                json={"permission_view_menu_ids": wanted})
    return role_id


def _sync_rule(client: SupersetClient, rules: dict[str, dict[str, Any]],
               body: dict[str, Any]) -> None:
    """Create the rule named body["name"], or put it back as ``body`` says."""
    existing = rules.get(body["name"])
    if existing is None:
        client.post("/api/v1/rowlevelsecurity/", json=body)
    elif (existing["clause"] != body["clause"]
          or existing.get("filter_type") != body["filter_type"]
          or sorted(t["id"] for t in existing["tables"]) != sorted(body["tables"])
          or sorted(r["id"] for r in existing["roles"]) != sorted(body["roles"])):
        client.put(f"/api/v1/rowlevelsecurity/{existing['id']}", json=body)


def sync_rls(client: SupersetClient, serving_path: Path) -> dict[str, int]:
    """One role and one RLS rule per legal entity and sub-branch, and the Base rule
    that leaves every other user no row; returns the org role ids."""
    known = _role_ids(client)
    governed = governed_datasets(client)
    tables = sorted(governed.values())
    rules = {r["name"]: r for r in client.list_all(
        "rowlevelsecurity", ["id", "name", "filter_type", "clause", "roles.id", "tables.id"])}
    out: dict[str, int] = {}
    for org in org_roles(serving_path):
        role_id = ensure_role(client, org.role_name, known)
        out[org.role_name] = role_id
        _sync_rule(client, rules, {
            "name": f"RLS {org.role_name}", "filter_type": "Regular", "tables": tables,
            "roles": [role_id], "clause": org.clause, "group_key": "org",
            "description": f"{org.org_name} 只看本机构及下辖机构"})
    # A user with no org fails closed: exempt are Admin, the province-wide readers and
    # the org roles (whose own Regular rule above still narrows them to their subtree).
    exempt = [known[ADMIN_ROLE], ensure_role(client, PROVINCE_ROLE, known), *out.values()]
    _sync_rule(client, rules, {
        "name": BASE_RULE, "filter_type": "Base", "tables": tables,
        "roles": sorted(exempt), "clause": "1 = 0", "group_key": None,
        "description": "只有管理员、全省看板与各机构角色可见数据；未分配机构的用户无行"})
    return out


def sync_dashboard_roles(client: SupersetClient, serving_path: Path) -> dict[str, list[str]]:
    """Who opens which copy of a dashboard with money cards (Superset DASHBOARD_RBAC).

    The 亿元 dashboards go to the province role and every 法人行社 role, the 万元
    copies to every 支行 role; 客户经营 (customer rows) to the province role and every
    org role; dashboards with no money card keep no roles (everyone with the reader
    role). A user holding none of a dashboard's roles is refused it,
    so access still fails closed; what rows they see is still their RLS rule's.
    Returns {dashboard slug: role names}.
    """
    from dagster_project.superset.dashboards import (
        BANK_VIEW,
        BRANCH_VIEW,
        EVERYONE,
        ORG_VIEW,
        all_dashboards,
    )

    known = _role_ids(client)
    ensure_role(client, PROVINCE_ROLE, known)
    orgs = org_roles(serving_path)
    for org in orgs:
        ensure_role(client, org.role_name, known)
    audience = {
        EVERYONE: [],
        BANK_VIEW: [PROVINCE_ROLE, *(o.role_name for o in orgs if o.level == 2)],
        BRANCH_VIEW: [o.role_name for o in orgs if o.level == 3],
        ORG_VIEW: [PROVINCE_ROLE, *(o.role_name for o in orgs)],
    }
    out: dict[str, list[str]] = {}
    for dash in all_dashboards():
        names = audience[dash.audience]
        found = client.get(f"/api/v1/dashboard/{dash.slug}")["result"]
        if sorted(r["id"] for r in found.get("roles") or []) != sorted(known[n] for n in names):
            client.put(f"/api/v1/dashboard/{found['id']}",
                       json={"roles": [known[n] for n in names]})
        out[dash.slug] = names
    return out


def sync_access(client: SupersetClient, serving_path: Path) -> dict[str, int]:
    """Reader and analyst roles, the org roles and their rules, then which dashboards
    each role opens (what deploy runs)."""
    ensure_reader_role(client)
    ensure_analyst_role(client)
    ids = sync_rls(client, serving_path)
    sync_dashboard_roles(client, serving_path)
    return ids


def _is_org_role(name: str) -> bool:
    return name.startswith(tuple(f"{p}_" for p in LEVEL_PREFIX.values()))


def access_problems(client: SupersetClient) -> list[str]:
    """Every way a restricted user could read rows no RLS rule limits (empty = fail-closed).

    Restricted: the org roles, and the reader and analyst roles they are given with.
    Flags (1) a restricted role holding a database-, schema- or all-datasets
    permission, (2) a dataset that a user with an org role (or an org role together
    with the reader and analyst roles, before any user exists) can read while no RLS
    rule on that dataset names one of their org roles, and (3) a governed dataset the
    Base rule does not cover, which a reader given no org would read whole. Datasets
    an admin adds later are listed by Superset, not by the bundle, so they are checked
    too.
    """
    roles = _role_ids(client)
    perms = {rid: client.get(f"/api/v1/security/roles/{rid}/permissions/")["result"]
             for name, rid in roles.items()
             if _is_org_role(name) or name in (READER_ROLE, ANALYST_ROLE)}
    name_of = {rid: name for name, rid in roles.items()}
    problems: list[str] = []
    for rid, plist in perms.items():
        for p in plist:
            if p["permission_name"] in BROAD_PERMISSIONS:
                problems.append(f"restricted role {name_of[rid]} holds {p['permission_name']} "
                                f"on {p['view_menu_name']}: give datasource_access per governed "
                                "dataset instead")
    dataset_perm = _dataset_perms(client)
    table_of = {v: k for k, v in dataset_perm.items()}
    covered: dict[int, set[int]] = {}  # role id -> dataset ids its RLS rules cover
    based: set[int] = set()  # datasets the Base rule leaves no row to a user without org
    for rule in client.list_all("rowlevelsecurity",
                                ["id", "name", "filter_type", "roles.id", "tables.id"]):
        if rule["filter_type"] != "Regular":
            if rule["name"] == BASE_RULE:  # exempts its roles and filters everyone else
                based.update(t["id"] for t in rule["tables"])
            continue
        for r in rule["roles"]:
            covered.setdefault(r["id"], set()).update(t["id"] for t in rule["tables"])

    def readable(role_ids: set[int]) -> set[int]:
        out: set[int] = set()
        for rid in role_ids:
            for p in perms.get(rid, []):
                if p["permission_name"] in BROAD_PERMISSIONS:
                    out |= set(dataset_perm)
                elif p["permission_name"] == "datasource_access" and \
                        p["view_menu_name"] in table_of:
                    out.add(table_of[p["view_menu_name"]])
        return out

    shared = {roles[n] for n in (READER_ROLE, ANALYST_ROLE) if n in roles}
    holders: list[tuple[str, set[int]]] = [
        (f"role {name}", {rid} | shared) for name, rid in roles.items() if _is_org_role(name)]
    for user in client.list_all("security/users", ["username", "roles.id"]):
        role_ids = {r["id"] for r in user["roles"]}
        if any(_is_org_role(name_of.get(r, "")) for r in role_ids):
            holders.append((f"user {user['username']}", role_ids))
    for who, role_ids in holders:
        org = {r for r in role_ids if _is_org_role(name_of.get(r, ""))}
        ruled = set().union(*(covered.get(r, set()) for r in org))
        for ds in sorted(readable(role_ids) - ruled):
            problems.append(f"{who} can read dataset {dataset_perm[ds]} and no row-level "
                            "security rule of their org covers it")
    for key, ds in sorted(governed_datasets(client).items()):
        if ds not in based:
            problems.append(f"the Base rule {BASE_RULE} does not cover dataset {key}: a "
                            "reader given no org role would read it whole (re-import: "
                            "`puhui superset import`)")
    return problems


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
    """Demo users: one province reader, one per level (or per org with every_org), and
    one analyst (分析员) per legal entity.

    Passwords are generated, kept in ``secrets_file`` (mode 600) and reused, so
    re-running changes nothing. Returns {username: {password, role, org_no, label}}.
    """
    sync_access(client, serving_path)
    known = _role_ids(client)
    reader, analyst = known[READER_ROLE], known[ANALYST_ROLE]
    gamma, sql_lab = known[GAMMA_ROLE], known[SQL_LAB_ROLE]
    stored: dict[str, dict[str, str]] = (
        json.loads(secrets_file.read_text()) if secrets_file.exists() else {})
    wanted: list[tuple[str, str, list[int], str]] = [
        ("demo_province", "", [reader, gamma, known[PROVINCE_ROLE]], "全省")]
    by_level: dict[int, int] = {}
    for org in org_roles(serving_path):
        by_level[org.level] = by_level.get(org.level, 0) + 1
        org_role = known[org.role_name]
        if every_org or by_level[org.level] == 1:
            user = f"demo_{'legal' if org.level == 2 else 'branch'}_{org.org_no}"
            wanted.append((user, org.org_no, [reader, org_role, gamma], org.org_name))
        if org.level == 2:
            wanted.append((f"demo_analyst_{org.org_no}", org.org_no,
                           [reader, org_role, gamma, sql_lab, analyst],
                           f"{org.org_name}分析员"))
    for user, org_no, role_ids, label in wanted:
        entry = stored.get(user) or {"password": secrets.token_urlsafe(12)}
        entry.update(org_no=org_no, label=label)
        ensure_user(client, user, entry["password"], role_ids, "演示", label)
        stored[user] = entry
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = secrets_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(stored, ensure_ascii=False, indent=2))
    tmp.replace(secrets_file)
    return stored
