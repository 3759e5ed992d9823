"""Where manual data is stored in the warehouse (customer-ops.md §6, docs/customer-ops.md).

The blacklist is kept as versions: each good file loaded becomes one row of
``manual.blacklist_version`` and its entries rows of ``manual.blacklist_entry``.
Earlier versions are never deleted. The version in force is the one with the
highest ``version_id``; ``manual.blacklist_current`` shows its entries, and dbt reads
that view (an empty view before the first file, so a warehouse with no blacklist
builds pre-credit with nobody blacklisted).

Nothing here holds a personal value in clear: ``id_no_hash`` is the same keyed hash
(HMAC-SHA256 hex, ``ingest.pii``) as CUST_INFO.id_no in the raw layer, and
``name_masked`` keeps the first character of the name only.

Two columns of ``blacklist_version`` serve the rebuild a new version asks for
(manual/rebuild.py): ``changes_from``, the first business date whose entries in force
differ from the previous version's (NULL: none), and ``rebuild_from``, the first
published date whose pre-credit still waits to be rebuilt with it (NULL: nothing
pending). They are added by ALTER, so a warehouse made before them gets them too.
``loaded_at`` is Beijing time, like every ``*_at`` of the warehouse.
"""

from __future__ import annotations

import duckdb

DDL = (
    "CREATE SCHEMA IF NOT EXISTS manual",
    """CREATE TABLE IF NOT EXISTS manual.blacklist_version (
        version_id INTEGER PRIMARY KEY,
        loaded_at TIMESTAMP NOT NULL,
        loaded_by VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        file_sha256 VARCHAR NOT NULL,
        entry_cnt INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS manual.blacklist_entry (
        version_id INTEGER NOT NULL,
        line_no INTEGER NOT NULL,
        id_no_hash VARCHAR NOT NULL,
        name_masked VARCHAR,
        reason VARCHAR,
        listed_date DATE NOT NULL,
        removed_date DATE,
        PRIMARY KEY (version_id, id_no_hash)
    )""",
    "ALTER TABLE manual.blacklist_version ADD COLUMN IF NOT EXISTS changes_from DATE",
    "ALTER TABLE manual.blacklist_version ADD COLUMN IF NOT EXISTS rebuild_from DATE",
    """CREATE OR REPLACE VIEW manual.blacklist_current AS
        SELECT e.id_no_hash, e.name_masked, e.reason, e.listed_date, e.removed_date
        FROM manual.blacklist_entry AS e
        WHERE e.version_id = (SELECT max(v.version_id) FROM manual.blacklist_version AS v)""",
)


def ensure_manual(con: duckdb.DuckDBPyConnection) -> None:
    """Create the manual-data tables if missing (idempotent; every ingestion calls it)."""
    for stmt in DDL:
        con.execute(stmt)
