"""PII protection applied while loading (t1-extract-spec §4: PII never in clear text).

ID numbers and phones become HMAC-SHA256 hex digests under the key from settings:
keyed, so they cannot be reversed by hashing every phone number, and stable, so
joins on them still work. Personal names (cust_type 1 and 3) keep the first
character plus ``*`` (张三 → 张*); enterprise names are not personal data.

HMAC is computed inside DuckDB (vectorised, parallel) from its SHA-256 primitive:
HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) (RFC 2104). ``hmac_hex`` is the Python
reference the tests compare against.
"""

from __future__ import annotations

import hashlib
import hmac

from dagster_project.contract import Column, Table

_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104 B)


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of RFC 2104 (passed to SQL as BLOB parameters)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_hex(key: bytes, value: str) -> str:
    """Reference keyed hash of one value (what the warehouse stores)."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_sql(expr: str, ipad_param: str = "$ipad", opad_param: str = "$opad") -> str:
    """SQL for HMAC-SHA256 hex of VARCHAR ``expr`` (NULL stays NULL)."""
    return (f"CASE WHEN ({expr}) IS NULL THEN NULL ELSE sha256({opad_param}::BLOB || "
            f"unhex(sha256({ipad_param}::BLOB || encode({expr})))) END")


def mask_name_sql(name_expr: str, cust_type_expr: str) -> str:
    """§4 CUST_INFO.cust_name is PII for cust_type 1 (个人) and 3 (个体工商户)."""
    return (f"CASE WHEN ({cust_type_expr}) IN ('1', '3') AND ({name_expr}) IS NOT NULL "
            f"THEN substr({name_expr}, 1, 1) || '*' ELSE {name_expr} END")


def masked_expr(table: Table, col: Column, value_expr: str, field_expr: dict[str, str]) -> str:
    """SQL that turns column ``col`` (value in ``value_expr``) into what may be stored."""
    if not col.pii:
        return value_expr
    if table.name == "CUST_INFO" and col.name == "cust_name":
        return mask_name_sql(value_expr, field_expr["cust_type"])
    return hmac_sql(value_expr)
