"""State → the 13 delivery files' rows, as string columns in contract order.

Each table yields polars DataFrames of at most ``chunk_rows`` rows so even the
20M-row DEP_ACCT of `province` is formatted a slice at a time. Formatting follows
t1-extract-spec §2: DATE YYYYMMDD, TIMESTAMP YYYYMMDDHHMMSS, plain decimals with
the stated places, empty string for NULL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np
import polars as pl

from dagster_project import contract
from dagster_project.generator import calendar as cal
from dagster_project.generator.daily import five_class, limit_status
from dagster_project.generator.model import (
    CCY,
    DEP_SUBJ,
    INSURERS,
    LOAN_PROD,
    LOAN_SUBJ,
    TIME_TERMS,
    DayEvents,
    Province,
)
from dagster_project.generator.writer import Chunk, encode_chunk

Chunks = Iterator[pl.DataFrame]
# lapse reason index 1..6 → the contract's codes 01-05 and 99 (其他); 0 = none
LAPSE_REASONS = ("", *contract.CODE_LABELS["lapse_reason"])

NOTES = {
    1: ("走访建档，了解家庭种养殖情况", "新型农业经营主体走访，采集经营信息", "整村授信入户调查"),
    2: ("推介惠农e贷，客户有意向", "宣传普惠小微贷款政策", "推介定期存款及手机银行"),
    3: ("贷后检查，经营正常，还款意愿良好", "贷后检查：养殖规模扩大，资金周转正常",
        "贷后回访，提醒按期还款"),
    4: ("提醒续期缴费，客户表示本月内补缴", "保单宽限期提醒，客户资金紧张",
        "联系投保人，协助办理复效"),
}


def _s(values: np.ndarray | pl.Series, null: np.ndarray | None = None) -> pl.Series:
    s = values if isinstance(values, pl.Series) else pl.Series(values)
    s = s.cast(pl.Utf8)
    if null is not None and null.any():
        s = pl.select(pl.when(pl.Series(null)).then(None).otherwise(s)).to_series()
    return s


def fixed(values: np.ndarray, places: int, null: np.ndarray | None = None) -> pl.Series:
    """Integer in units of 10^-places → plain decimal text (no thousands separators)."""
    v = np.asarray(values, dtype=np.int64)
    q = 10**places
    neg = v < 0
    has_neg = bool(neg.any())
    a = np.abs(v) if has_neg else v
    # q + remainder, minus its leading "1", is the zero-padded fraction without a zfill
    s = pl.Series(a // q).cast(pl.Utf8) + "." + pl.Series(a % q + q).cast(pl.Utf8).str.slice(1)
    if has_neg:
        s = pl.Series(np.where(neg, "-", "")) + s
    return _s(s, null)


# DATE text for every day 1900-01-01 … 2099-12-31, plus a trailing NULL for NO_DATE:
# formatting a date column is then one gather instead of a calendar conversion per row.
_DATE_BASE = cal.day_no(dt.date(1900, 1, 1))
_DATE_TEXT = pl.Series(
    [str(v) for v in cal.ymd(np.arange(_DATE_BASE, cal.day_no(dt.date(2100, 1, 1))))] + [None],
    dtype=pl.Utf8)
_DATE_NULL = _DATE_TEXT.len() - 1


def date(values: np.ndarray) -> pl.Series:
    v = np.asarray(values, dtype=np.int64)
    return _DATE_TEXT.gather(np.where(v == cal.NO_DATE, _DATE_NULL, v - _DATE_BASE))


def code(values: np.ndarray, empty: int = 0, width: int = 0) -> pl.Series:
    s = pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.Utf8)
    if width:
        s = s.str.zfill(width)
    return _s(s, np.asarray(values) == empty)


def ident(prefix: str, values: np.ndarray, width: int) -> pl.Series:
    """``prefix`` + the number zero-padded to ``width`` digits (e.g. C00000000042)."""
    v = np.asarray(values, dtype=np.int64)
    if prefix.isdigit() and len(prefix) + width <= 18:
        return pl.Series(int(prefix) * 10**width + v).cast(pl.Utf8)
    return prefix + pl.Series(v + 10**width).cast(pl.Utf8).str.slice(1)


def lookup(table: list[str] | tuple[str, ...] | pl.Series, idx: np.ndarray,
           empty: np.ndarray | None = None) -> pl.Series:
    t = table if isinstance(table, pl.Series) else pl.Series(list(table))
    s = t.gather(np.maximum(np.asarray(idx), 0))
    return _s(s, empty)


def cust_no(idx: np.ndarray, p: Province) -> pl.Series:
    return ident("C", p.custs["id"][np.maximum(idx, 0)], 11)


def mgr_no(idx: np.ndarray, p: Province) -> pl.Series:
    s = ident("M", p.mgrs["id"][np.maximum(idx, 0)], 7)
    return _s(s, np.asarray(idx) < 0)


def _frame(table: str, cols: list[pl.Series]) -> pl.DataFrame:
    names = contract.TABLES_BY_NAME[table].column_names
    return pl.DataFrame([c.alias(n) for c, n in zip(cols, names, strict=True)])


def chunked(n: int, size: int, make: Callable[[slice], pl.DataFrame]) -> Chunks:
    if n == 0:
        yield make(slice(0, 0))
    for lo in range(0, n, size):
        yield make(slice(lo, min(lo + size, n)))


def org_info(p: Province) -> Chunks:
    o = p.orgs
    par = o.parent
    yield _frame("ORG_INFO", [
        pl.Series(o.org_no), pl.Series(o.name), code(o.level),
        lookup(o.org_no, par, par < 0), lookup(o.org_no, o.legal, o.legal < 0),
        code(o.region), code(o.status, empty=-1), date(o.open_date)])


def cust_mgr(p: Province) -> Chunks:
    m = p.mgrs
    yield _frame("CUST_MGR", [
        mgr_no(np.arange(len(m)), p), lookup(p.pools.person, m["name"]),
        lookup(p.orgs.org_no, m["org"]), code(m["post"]), code(m["status"], empty=-1),
        date(m["hire"]), _s(m["phone"])])


def cust_info(p: Province) -> Iterator[Chunk]:
    """CUST_INFO rows never change once written (customers are only appended), so whole
    chunks encoded on an earlier day are reused as bytes: at `province` scale this
    saves transcoding over a GB of GB18030 text a day."""
    c = p.custs
    size = p.scale.chunk_rows
    cache = p.cust_cache

    def make(s: slice) -> pl.DataFrame:
        return _cust_info_frame(p, s)

    for k in range(0, len(c), size):
        i = k // size
        full = k + size <= len(c)
        if full and i < len(cache):
            yield cache[i]
            continue
        df = make(slice(k, min(k + size, len(c))))
        if full:
            cache.append((encode_chunk(df, True), df.height))
            yield cache[-1]
        else:
            yield df
    if len(c) == 0:
        yield make(slice(0, 0))


def prime_cust_cache(p: Province) -> None:
    """Encode the CUST_INFO chunks that can no longer change, ahead of the first date,
    so that date costs no more than any later one."""
    for _ in cust_info(p):
        pass


def _cust_info_frame(p: Province, s: slice) -> pl.DataFrame:
    c = p.custs
    return _frame("CUST_INFO", [
            ident("C", c["id"][s], 11), c.text("name")[s], code(c["type"][s]),
            code(np.where(c["type"][s] == 2, 2, 1), width=2), c.text("id_no")[s],
            code(c["gender"][s]), date(c["birth"][s]), code(c["education"][s]),
            code(c["marital"][s]), _s(c["phone"][s]), code(c["region"][s]),
            code(c["farmer"][s], empty=-1), code(c["scale"][s]),
            lookup(contract.INDUSTRY_CODES, c["industry"][s], c["industry"][s] < 0),
            mgr_no(c["mgr"][s], p),
            _s(ident("G", p.grids["id"][np.maximum(c["grid"][s], 0)], 10), c["grid"][s] < 0),
            date(c["open"][s]), code(c["status"][s], empty=-1),
            _s(cust_no(c["owner"][s], p), c["owner"][s] < 0)])


def _dep_prod(subj: np.ndarray, term: np.ndarray) -> np.ndarray:
    """prod_cd: D + subject family + term in months (e.g. DP12 个人定期一年)."""
    fam = np.array(["DPH", "DPT", "DCH", "DCT", "DCM"])[subj]
    return np.char.add(fam, np.where(term > 0, np.char.zfill(term.astype(str), 2), "00"))


_DEP_PRODS = [f + t for f in ("DPH", "DPT", "DCH", "DCT", "DCM")
              for t in ["00"] + [f"{m:02d}" for m in TIME_TERMS]]


def dep_acct(p: Province) -> Chunks:
    d = p.deps
    org_no = pl.Series(p.orgs.org_no)
    term_pos = np.searchsorted(np.concatenate([[0], TIME_TERMS]), d["term"])
    prod_i = d["subj"].astype(np.int64) * (1 + TIME_TERMS.size) + term_pos

    def make(s: slice) -> pl.DataFrame:
        return _frame("DEP_ACCT", [
            ident("623", d["id"][s], 15), cust_no(d["cust"][s], p),
            org_no.gather(d["outlet"][s]), lookup(_DEP_PRODS, prod_i[s]),
            lookup(DEP_SUBJ, d["subj"][s]), lookup(CCY, d["ccy"][s]), fixed(d["bal"][s], 2),
            date(d["open"][s]), date(d["mature"][s]), fixed(d["rate"][s], 4),
            code(d["status"][s], empty=-1), mgr_no(d["mgr"][s], p)])

    return chunked(len(d), p.scale.chunk_rows, make)


def loan_duebill(p: Province) -> Chunks:
    lo = p.loans
    org_no = pl.Series(p.orgs.org_no)

    def make(s: slice) -> pl.DataFrame:
        return _frame("LOAN_DUEBILL", [
            ident("LN", lo["id"][s], 14), ident("HT", lo["contract"][s], 14),
            cust_no(lo["cust"][s], p), org_no.gather(lo["org"][s]), lookup(LOAN_PROD,
                                                                            lo["cat"][s]),
            lookup(LOAN_SUBJ, lo["subj"][s]), lookup(CCY, lo["ccy"][s]),
            fixed(lo["disb_amt"][s], 2), fixed(lo["bal"][s], 2), date(lo["disb"][s]),
            date(lo["mature"][s]), fixed(lo["rate"][s], 4),
            code(five_class(lo["od"][s], lo["judg"][s])), code(lo["od"][s], empty=-1),
            fixed(lo["od_prin"][s], 2), fixed(lo["od_int"][s], 2), code(lo["guar"][s]),
            code(lo["agri"][s], empty=-1), code(lo["purpose"][s]), code(lo["channel"][s]),
            mgr_no(lo["mgr"][s], p), code(lo["status"][s])])

    return chunked(len(lo), p.scale.chunk_rows, make)


def credit_limit(p: Province, day: int) -> Chunks:
    lim = p.limits
    status = limit_status(lim, day)

    def make(s: slice) -> pl.DataFrame:
        return _frame("CREDIT_LIMIT", [
            ident("ED", lim["id"][s], 14), cust_no(lim["cust"][s], p),
            lookup(p.orgs.org_no, lim["org"][s]), fixed(lim["amt"][s], 2),
            date(lim["start"][s]), date(lim["end"][s]), code(lim["type"][s]),
            code(status[s], empty=-1)])

    return chunked(len(lim), p.scale.chunk_rows, make)


def loan_repay(p: Province, ev: DayEvents, ymd: int) -> Chunks:
    r = ev.repays
    yield _frame("LOAN_REPAY", [
        ident(f"R{ymd}", r["seq"], 10), ident("LN", r["loan_id"], 14),
        pl.Series([str(ymd)] * len(r), dtype=pl.Utf8), fixed(r["prin"], 2), fixed(r["int"], 2),
        code(r["type"])])


def dep_txn(p: Province, ev: DayEvents, ymd: int) -> Chunks:
    t = ev.txns

    def make(s: slice) -> pl.DataFrame:
        return _frame("DEP_TXN", [
            ident(f"T{ymd}", t["seq"][s], 12), ident("623", t["acct_id"][s], 15),
            code(t["ts"][s]), fixed(t["amt"][s], 2),
            pl.Series(np.where(t["cr"][s], "C", "D")), code(t["channel"][s])])

    return chunked(len(t), p.scale.chunk_rows, make)


def grid(p: Province) -> Chunks:
    g = p.grids
    yield _frame("GRID", [
        ident("G", g["id"], 10), g.text("name"), lookup(p.orgs.org_no, g["org"]),
        mgr_no(g["mgr"], p), code(g["region"]), code(g["hh"], empty=-1), fixed(g["lon"], 6),
        fixed(g["lat"], 6)])


def visit_log(p: Province, ev: DayEvents, ymd: int) -> Chunks:
    v = ev.visits
    notes = [n for t in (1, 2, 3, 4) for n in NOTES[t]]
    note_i = (v["type"] - 1) * 3 + v["note"] % 3
    pol_id = p.pols["id"][np.maximum(v["pol"], 0)] if len(p.pols) else np.zeros(len(v), np.int64)
    yield _frame("VISIT_LOG", [
        ident(f"V{ymd}", v["seq"], 8), mgr_no(v["mgr"], p),
        _s(cust_no(v["cust"], p), v["cust"] < 0), ident("G", p.grids["id"][v["grid"]], 10),
        code(v["ts"]), fixed(v["lon"], 6), fixed(v["lat"], 6), code(v["type"]),
        code(v["outcome"]), code(v["sat"]), code(v["photos"], empty=-1),
        _s(ident("P", pol_id, 15), v["pol"] < 0), lookup(notes, note_i)])


def ins_policy(p: Province) -> Chunks:
    po = p.pols
    org_no = pl.Series(p.orgs.org_no)
    prod_codes = [f"{i}{k}" for i in INSURERS for k in ("A01", "B02", "C03")]

    def make(s: slice) -> pl.DataFrame:
        return _frame("INS_POLICY", [
            ident("P", po["id"][s], 15), lookup(INSURERS, po["insurer"][s]),
            lookup(prod_codes, po["insurer"][s] * 3 + po["prod"][s]), cust_no(po["cust"][s], p),
            org_no.gather(po["outlet"][s]), mgr_no(po["seller"][s], p), date(po["issue"][s]),
            code(po["freq"][s]), fixed(po["premium"][s], 2), code(po["years"][s], empty=-1),
            date(po["next_due"][s]), code(po["status"][s]), date(po["status_date"][s]),
            lookup(LAPSE_REASONS, po["reason"][s], po["reason"][s] == 0)])

    return chunked(len(po), p.scale.chunk_rows, make)


def gl_balances(p: Province) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """账账核对 (§5): per legal entity, subject and currency, the sum of DEP_ACCT balances
    and of LOAN_DUEBILL balances with status 1. Every CNY subject of every entity is
    listed (0 if empty), other currencies where an account holds them."""
    n_le = len(p.orgs.org_no)
    n_s, n_c = 9, len(CCY)
    d, lo = p.deps, p.loans
    key_d = (d["le"] * n_s + d["subj"]) * n_c + d["ccy"]
    in_bal = lo["status"] == 1
    key_l = (lo["le"][in_bal] * n_s + 5 + lo["subj"][in_bal]) * n_c + lo["ccy"][in_bal]
    size = n_le * n_s * n_c
    total = np.zeros(size, np.int64)
    _add_big(total, key_d, d["bal"])
    _add_big(total, key_l, lo["bal"][in_bal])
    present = np.zeros(size, bool)
    present[key_d] = True
    present[key_l] = True
    les = np.flatnonzero(p.orgs.level == 2)
    for s in range(n_s):
        present[(les * n_s + s) * n_c] = True  # CNY rows always
    keys = np.flatnonzero(present)
    return keys // (n_s * n_c), keys // n_c % n_s, keys % n_c, total[keys]


def _add_big(total: np.ndarray, key: np.ndarray, val: np.ndarray) -> None:
    # exact integer group sums without np.add.at's slowness: sort once, reduce segments
    if key.size == 0:
        return
    order = np.argsort(key, kind="stable")
    k = key[order]
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    total[k[starts]] += np.add.reduceat(val[order], starts)


def gl_bal(p: Province) -> Chunks:
    le, subj, ccy, bal = gl_balances(p)
    subjects = list(contract.DEPOSIT_SUBJECTS + contract.LOAN_SUBJECTS)
    yield _frame("GL_BAL", [lookup(p.orgs.org_no, le), lookup(subjects, subj),
                            lookup(CCY, ccy), fixed(bal, 2)])


def fx_rate(p: Province) -> Chunks:
    yield _frame("FX_RATE", [pl.Series(list(CCY)), fixed(p.fx, 6)])


def tables(p: Province, ev: DayEvents, day: int) -> dict[str, Chunks]:
    """Every table of one delivery, in the order of the spec (§4)."""
    ymd = int(cal.ymd(np.array([day]))[0])
    return {
        "ORG_INFO": org_info(p), "CUST_MGR": cust_mgr(p), "CUST_INFO": cust_info(p),
        "DEP_ACCT": dep_acct(p), "LOAN_DUEBILL": loan_duebill(p),
        "CREDIT_LIMIT": credit_limit(p, day), "LOAN_REPAY": loan_repay(p, ev, ymd),
        "DEP_TXN": dep_txn(p, ev, ymd), "GRID": grid(p), "VISIT_LOG": visit_log(p, ev, ymd),
        "INS_POLICY": ins_policy(p), "GL_BAL": gl_bal(p), "FX_RATE": fx_rate(p),
    }


# Tables whose text may hold Chinese: these need GB18030 transcoding; the others are
# pure ASCII, where UTF-8, GBK and GB18030 bytes coincide (§2) and no pass is needed.
NON_ASCII = frozenset({"ORG_INFO", "CUST_MGR", "CUST_INFO", "GRID", "VISIT_LOG"})
