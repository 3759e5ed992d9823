"""The synthetic province against t1-extract-spec.md, read back from the files alone.

Every check decodes the written bytes itself (GB18030, split on ``|``) and compares
with rules restated from the spec and indicators.md; nothing here calls the
generator's internals.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib.util
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project import contract
from dagster_project.generator import TINY_DAYS, TINY_START, generate, generate_tiny

DATES = [(TINY_START + dt.timedelta(days=i)).strftime("%Y%m%d") for i in range(TINY_DAYS)]


def read(folder: Path, table: str) -> list[dict[str, str]]:
    biz = folder.name
    raw = (folder / f"{table}_{biz}.dat").read_bytes()
    text = raw.decode("gb18030")
    cols = contract.TABLES_BY_NAME[table].column_names
    rows = []
    for line in text.split("\n")[:-1]:
        fields = line.split("|")
        assert len(fields) == len(cols), f"{table} {biz}: {len(fields)} fields in {line!r}"
        rows.append(dict(zip(cols, fields, strict=True)))
    return rows


@pytest.fixture(scope="module")
def days(tiny_landing: Path) -> dict[str, dict[str, list[dict[str, str]]]]:
    return {d: {t: read(tiny_landing / d, t) for t in contract.TABLE_NAMES} for d in DATES}


def cents(s: str) -> int:
    return int(Decimal(s) * 100)


# --- §1-§2 layout, control files, DONE -------------------------------------------------


def test_one_folder_per_business_date_across_the_year_end(tiny_landing: Path) -> None:
    assert sorted(p.name for p in tiny_landing.iterdir()) == DATES
    assert "20251231" in DATES and "20260101" in DATES


def test_control_files_match_rows_bytes_and_md5(tiny_landing: Path) -> None:
    for d in DATES:
        for t in contract.TABLE_NAMES:
            data = (tiny_landing / d / f"{t}_{d}.dat").read_bytes()
            flg = (tiny_landing / d / f"{t}_{d}.flg").read_bytes()
            flg.decode("ascii")
            lines = flg.decode().splitlines()
            assert len(lines) == 1
            name, rows, size, md5 = lines[0].split("|")
            assert name == f"{t}_{d}.dat"
            assert int(rows) == data.count(b"\n")
            assert int(size) == len(data)
            assert md5 == hashlib.md5(data).hexdigest()


def test_done_lists_every_data_file(tiny_landing: Path) -> None:
    for d in DATES:
        done = (tiny_landing / d / f"DONE_{d}.flg").read_text(encoding="ascii").splitlines()
        assert sorted(done) == sorted(f"{t}_{d}.dat" for t in contract.TABLE_NAMES)
        leftovers = list((tiny_landing / d).glob(".*")) + list((tiny_landing / d).glob("*.tmp"))
        assert not leftovers


def test_lf_only_and_no_header(tiny_landing: Path) -> None:
    for d in DATES:
        for t in contract.TABLE_NAMES:
            data = (tiny_landing / d / f"{t}_{d}.dat").read_bytes()
            assert b"\r" not in data
            first = data.split(b"\n", 1)[0].decode("gb18030")
            assert first.split("|")[0] != contract.TABLES_BY_NAME[t].columns[0].name


# --- §4-§5 field types, lengths, codes, keys ---------------------------------------------

FORMATS = {
    "date": re.compile(r"\d{8}"),
    "timestamp": re.compile(r"\d{14}"),
    "int": re.compile(r"-?\d+"),
    "dec2": re.compile(r"-?\d+(\.\d{1,2})?"),
    "dec4": re.compile(r"-?\d+(\.\d{1,4})?"),
    "dec6": re.compile(r"-?\d+(\.\d{1,6})?"),
}


def test_every_field_has_its_type_length_and_code(days: dict) -> None:
    for d, tables in days.items():
        check_fields(d, tables)


def check_fields(d: str, tables: dict[str, list[dict[str, str]]]) -> None:
    """§2/§4: NULL only where allowed, formats, lengths, and codes from the lists."""
    if True:
        for t, rows in tables.items():
            table = contract.TABLES_BY_NAME[t]
            for col in table.columns:
                for r in rows:
                    v = r[col.name]
                    if v == "":
                        assert col.nullable, f"{t}.{col.name} empty on {d}"
                        continue
                    if col.type in FORMATS:
                        assert FORMATS[col.type].fullmatch(v), f"{t}.{col.name}={v!r}"
                    if col.type == "date":
                        dt.datetime.strptime(v, "%Y%m%d")
                    if col.type == "timestamp":
                        dt.datetime.strptime(v, "%Y%m%d%H%M%S")
                    if col.length:
                        assert len(v) <= col.length, f"{t}.{col.name}={v!r} too long"
                    if col.type == "char" and col.length:
                        assert len(v) == col.length, f"{t}.{col.name}={v!r}"
                    if col.codes:
                        assert v in col.codes, f"{t}.{col.name}={v!r} not in its list"
                    assert "|" not in v and "\n" not in v and "\r" not in v


def test_primary_keys_unique_per_file(days: dict) -> None:
    for d, tables in days.items():
        for t, rows in tables.items():
            pk = contract.TABLES_BY_NAME[t].primary_key
            keys = Counter(tuple(r[k] for k in pk) for r in rows)
            dup = [k for k, n in keys.items() if n > 1]
            assert not dup, f"{t} {d}: duplicate keys {dup[:3]}"


def test_incremental_tables_carry_the_business_date(days: dict) -> None:
    for d, tables in days.items():
        assert tables["DEP_TXN"] and tables["VISIT_LOG"]
        assert all(r["txn_date"] == d for r in tables["LOAN_REPAY"])
        assert all(r["txn_time"][:8] == d for r in tables["DEP_TXN"])
        assert all(r["visit_time"][:8] == d for r in tables["VISIT_LOG"])


def test_references_are_consistent(days: dict) -> None:
    for tb in days.values():
        orgs = {r["org_no"]: r for r in tb["ORG_INFO"]}
        level = {k: r["org_level"] for k, r in orgs.items()}
        assert Counter(level.values())["1"] == 1
        for r in tb["ORG_INFO"]:
            if r["org_level"] == "1":
                assert r["parent_org_no"] == "" and r["legal_org_no"] == ""
            else:
                assert int(level[r["parent_org_no"]]) == int(r["org_level"]) - 1
                assert level[r["legal_org_no"]] == "2"
            if r["org_level"] == "2":
                assert r["legal_org_no"] == r["org_no"]
        custs = {r["cust_no"]: r for r in tb["CUST_INFO"]}
        mgrs = {r["mgr_no"]: r for r in tb["CUST_MGR"]}
        grids = {r["grid_no"] for r in tb["GRID"]}
        assert all(level[m["org_no"]] in ("3", "4") for m in mgrs.values())
        for a in tb["DEP_ACCT"]:
            assert level[a["org_no"]] == "4" and orgs[a["org_no"]]["status"] == "1"
            assert a["cust_no"] in custs and (a["mgr_no"] == "" or a["mgr_no"] in mgrs)
        for lo in tb["LOAN_DUEBILL"]:
            assert level[lo["org_no"]] in ("3", "4")
            assert lo["cust_no"] in custs and lo["mgr_no"] in mgrs
        for c in custs.values():
            assert c["mgr_no"] in mgrs and (c["grid_no"] == "" or c["grid_no"] in grids)
            assert c["owner_cust_no"] == "" or (
                custs[c["owner_cust_no"]]["cust_type"] == "2"
                and custs[c["owner_cust_no"]]["ent_scale"] in ("3", "4")
                and c["cust_type"] == "1")
        for lim in tb["CREDIT_LIMIT"]:
            assert lim["cust_no"] in custs and lim["org_no"] in orgs
        policies = {p["policy_no"] for p in tb["INS_POLICY"]}
        for p in tb["INS_POLICY"]:
            assert p["cust_no"] in custs and p["seller_no"] in mgrs
            assert level[p["org_no"]] == "4"
        for v in tb["VISIT_LOG"]:
            assert v["mgr_no"] in mgrs and mgrs[v["mgr_no"]]["status"] == "1"
            assert v["grid_no"] in grids and (v["cust_no"] == "" or v["cust_no"] in custs)
            assert (v["visit_type"] == "4") == (v["policy_no"] != "")
            assert v["policy_no"] == "" or v["policy_no"] in policies
        accts = {a["acct_no"] for a in tb["DEP_ACCT"]}
        assert all(t["acct_no"] in accts for t in tb["DEP_TXN"])
        loans = {lo["loan_no"] for lo in tb["LOAN_DUEBILL"]}
        assert all(r["loan_no"] in loans for r in tb["LOAN_REPAY"])


def test_org_tree_uses_real_county_codes_and_names(days: dict) -> None:
    spec = importlib.util.find_spec("cpca")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as f:
        names = {r["adcode"][:6]: r["name"] for r in csv.DictReader(f)}
    tb = days[DATES[0]]
    les = [r for r in tb["ORG_INFO"] if r["org_level"] == "2"]
    assert len(les) == 2  # tiny: two legal entities
    for le in les:
        county = names[le["region_code"]]
        assert le["org_name"].startswith(county[:-1]), (le["org_name"], county)
        assert le["org_name"].endswith(("农村商业银行", "农村信用合作联社"))
    assert all(r["region_code"] in names for r in tb["CUST_INFO"])


# --- PII and encoding ------------------------------------------------------------------

ID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def test_resident_ids_have_valid_check_digit_birth_date_and_gender(days: dict) -> None:
    people = [c for c in days[DATES[-1]]["CUST_INFO"] if c["cust_type"] in ("1", "3")]
    assert len(people) > 300
    for c in people:
        i = c["id_no"]
        assert c["id_type"] == "01" and len(i) == 18
        s = sum(int(a) * w for a, w in zip(i[:17], ID_W, strict=True))
        assert i[17] == "10X98765432"[s % 11], i
        assert i[6:14] == c["birth_date"]
        assert int(i[16]) % 2 == (1 if c["gender"] == "1" else 0)
        assert i[:6] == c["region_code"]
        assert re.fullmatch(r"1[3-9]\d{9}", c["phone"])


def test_enterprises_carry_credit_codes(days: dict) -> None:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    ents = [c for c in days[DATES[0]]["CUST_INFO"] if c["cust_type"] == "2"]
    assert ents
    for c in ents:
        code = c["id_no"]
        assert c["id_type"] == "02" and len(code) == 18 and code[:2] == "91"
        s = sum(chars.index(ch) * pow(3, k, 31) for k, ch in enumerate(code[:17]))
        assert code[17] == chars[(31 - s % 31) % 31]
        assert c["gender"] == "" and c["birth_date"] == "" and c["ent_scale"] in "1234"


def test_rare_characters_need_gb18030_four_byte_sequences(tiny_landing: Path) -> None:
    d = DATES[0]
    for t, col in (("CUST_INFO", "cust_name"), ("GRID", "grid_name")):
        raw = (tiny_landing / d / f"{t}_{d}.dat").read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("gbk")
        rare = [r[col] for r in read(tiny_landing / d, t)
                if any(len(ch.encode("gb18030")) == 4 for ch in r[col])]
        assert rare, f"no four-byte character in {t}.{col}"


# --- balances follow the day's events ---------------------------------------------------


def test_deposit_balances_follow_transactions(days: dict) -> None:
    moved = 0
    for prev, cur in zip(DATES, DATES[1:], strict=False):
        before = {a["acct_no"]: cents(a["balance"]) for a in days[prev]["DEP_ACCT"]}
        closed_before = {a["acct_no"] for a in days[prev]["DEP_ACCT"] if a["status"] == "0"}
        net: dict[str, int] = defaultdict(int)
        for t in days[cur]["DEP_TXN"]:
            amt = cents(t["amount"])
            assert amt > 0
            net[t["acct_no"]] += amt if t["dr_cr"] == "C" else -amt
        now = {a["acct_no"]: a for a in days[cur]["DEP_ACCT"]}
        for acct, a in now.items():
            assert cents(a["balance"]) >= 0
            expected = before.get(acct, 0) + net.get(acct, 0)
            if acct not in before:
                assert a["open_date"] == cur, f"{acct} appeared without opening on {cur}"
            assert cents(a["balance"]) == expected, (acct, cur)
            moved += acct in net
        gone = set(before) - set(now)
        assert gone == closed_before, "only accounts shown closed (status 0) may disappear"
        for acct in (x for x in now if now[x]["status"] == "0"):
            assert cents(now[acct]["balance"]) == 0
    assert moved > 100


def test_accounts_open_and_close_during_the_run(days: dict) -> None:
    opened = sum(a["open_date"] == d for d in DATES for a in days[d]["DEP_ACCT"])
    closed = sum(a["status"] == "0" for d in DATES for a in days[d]["DEP_ACCT"])
    assert opened > 0 and closed > 0


def test_loan_balance_decrease_equals_repaid_principal(days: dict) -> None:
    checked = 0
    for prev, cur in zip(DATES, DATES[1:], strict=False):
        before = {lo["loan_no"]: lo for lo in days[prev]["LOAN_DUEBILL"]}
        prin: dict[str, int] = defaultdict(int)
        for r in days[cur]["LOAN_REPAY"]:
            prin[r["loan_no"]] += cents(r["prin_amt"])
        now = {lo["loan_no"]: lo for lo in days[cur]["LOAN_DUEBILL"]}
        for no, lo in now.items():
            if no in before:
                assert before[no]["status"] == "1", "closed loans are absent the next day"
                drop = cents(before[no]["balance"]) - cents(lo["balance"])
                assert drop == prin.get(no, 0), (no, cur)
                checked += drop > 0
            else:
                assert lo["disb_date"] == cur and lo["balance"] == lo["disb_amt"]
            if lo["status"] == "2":
                assert cents(lo["balance"]) == 0
        for no in set(before) - set(now):
            assert before[no]["status"] in ("2", "3")
    assert checked > 0


def floor_class(od: int) -> int:
    # 2023 风险分类办法: >90 days at least 次级, >270 at least 可疑, >360 损失, overdue 关注
    return 5 if od > 360 else 4 if od > 270 else 3 if od > 90 else 2 if od > 0 else 1


def test_five_class_never_better_than_the_overdue_floor(days: dict) -> None:
    seen = Counter()
    for d in DATES:
        for lo in days[d]["LOAN_DUEBILL"]:
            od, fc = int(lo["overdue_days"]), int(lo["five_class"])
            assert fc >= floor_class(od), lo
            if od > 360:
                assert fc == 5
            seen[fc] += 1
            if lo["status"] == "1" and od == 0:
                assert cents(lo["overdue_prin"]) == 0
    assert set(seen) >= {1, 2, 3}
    # judgment downgrades: some loans classed worse than their arrears imply
    worse = [lo for d in DATES for lo in days[d]["LOAN_DUEBILL"]
             if int(lo["five_class"]) > floor_class(int(lo["overdue_days"]))]
    assert worse


def test_overdue_days_advance_one_a_day_unless_cleared(days: dict) -> None:
    for prev, cur in zip(DATES, DATES[1:], strict=False):
        before = {lo["loan_no"]: int(lo["overdue_days"]) for lo in days[prev]["LOAN_DUEBILL"]}
        repaid = {r["loan_no"] for r in days[cur]["LOAN_REPAY"] if r["repay_type"] == "3"}
        for lo in days[cur]["LOAN_DUEBILL"]:
            no, od = lo["loan_no"], int(lo["overdue_days"])
            if before.get(no, 0) > 0 and lo["status"] == "1":
                assert od == before[no] + 1 or (od == 0 and no in repaid), (no, cur)


def test_gl_reconciles_with_accounts(days: dict) -> None:
    for d, tb in days.items():
        legal = {r["org_no"]: r["legal_org_no"] for r in tb["ORG_INFO"]}
        sums: dict[tuple[str, str, str], int] = defaultdict(int)
        for a in tb["DEP_ACCT"]:
            sums[legal[a["org_no"]], a["subject_code"], a["ccy"]] += cents(a["balance"])
        for lo in tb["LOAN_DUEBILL"]:
            if lo["status"] == "1":
                sums[legal[lo["org_no"]], lo["subject_code"], lo["ccy"]] += cents(lo["balance"])
        gl = {(g["org_no"], g["subject_code"], g["ccy"]): cents(g["balance"]) for g in tb["GL_BAL"]}
        assert all(legal[k[0]] == k[0] for k in gl), "GL rows are per legal entity"
        for k, v in sums.items():
            assert gl.get(k) == v, (d, k)
        assert all(v == sums.get(k, 0) for k, v in gl.items())


def test_foreign_currency_accounts_and_moving_rates(days: dict) -> None:
    ccys = {a["ccy"] for a in days[DATES[0]]["DEP_ACCT"]}
    assert "CNY" in ccys and len(ccys) >= 3
    rates = [{r["ccy"]: Decimal(r["rate_to_cny"]) for r in days[d]["FX_RATE"]} for d in DATES]
    assert all(r["CNY"] == 1 for r in rates)
    for a, b in zip(rates, rates[1:], strict=False):
        assert a != b
        for c in ("USD", "EUR", "HKD", "JPY"):
            assert abs(b[c] / a[c] - 1) < Decimal("0.01")  # slight daily moves


def test_deposits_pushed_up_at_year_end_and_ebb_after(days: dict) -> None:
    # 时点冲存: many extra credits on the last days of the year, the money flowing back
    # out in early January. Counted by transactions: at tiny scale the amounts are
    # dominated by a few corporate accounts, the counts are not.
    def credit_share(ds: list[str]) -> float:
        txns = [t for d in ds for t in days[d]["DEP_TXN"]]
        return sum(t["dr_cr"] == "C" for t in txns) / len(txns)

    year_end = [d for d in DATES if d.startswith("2025")]
    january = [d for d in DATES if d.startswith("2026")]
    assert credit_share(year_end) > 0.55
    assert credit_share(january) < 0.45


# --- insurance policies ----------------------------------------------------------------


def _day(s: str) -> dt.date:
    return dt.datetime.strptime(s, "%Y%m%d").date()


def test_policies_follow_the_sixty_day_grace_rule(days: dict) -> None:
    lapsed_in_run = 0
    for i, d in enumerate(DATES):
        today = _day(d)
        for p in days[d]["INS_POLICY"]:
            st = p["status"]
            if p["pay_freq"] == "1":
                assert st not in ("2", "3") and p["next_due_date"] == ""
            if st == "2":
                assert 1 <= (today - _day(p["next_due_date"])).days <= 60
            if st in ("1", "4") and p["pay_freq"] != "1" and p["next_due_date"]:
                assert _day(p["next_due_date"]) >= today
            if st == "3":
                assert p["lapse_reason"] != ""
                assert (_day(p["status_date"]) - _day(p["next_due_date"])).days == 61
                lapsed_in_run += p["status_date"] == d and i > 0
            else:
                assert p["lapse_reason"] == ""
        if i:
            before = {p["policy_no"]: p for p in days[DATES[i - 1]]["INS_POLICY"]}
            for p in days[d]["INS_POLICY"]:
                b = before.get(p["policy_no"])
                if b and b["status"] == "2" and (today - _day(b["next_due_date"])).days > 60:
                    assert p["status"] in ("1", "3", "5")
    assert lapsed_in_run > 0


def test_lapse_follow_up_visits_name_a_policy(days: dict) -> None:
    t4 = [v for d in DATES for v in days[d]["VISIT_LOG"] if v["visit_type"] == "4"]
    assert t4
    for d in DATES:
        status = {p["policy_no"]: p["status"] for p in days[d]["INS_POLICY"]}
        for v in days[d]["VISIT_LOG"]:
            if v["visit_type"] == "4":
                assert status[v["policy_no"]] in ("2", "3", "1", "4", "5")


def test_post_loan_checks_visit_borrowers(days: dict) -> None:
    for d in DATES:
        borrowers = {lo["cust_no"] for lo in days[d]["LOAN_DUEBILL"]}
        checks = [v for v in days[d]["VISIT_LOG"] if v["visit_type"] == "3"]
        assert all(v["cust_no"] in borrowers for v in checks)
    assert any(v["visit_type"] == "3" for d in DATES for v in days[d]["VISIT_LOG"])


def test_more_visits_on_weekdays(days: dict) -> None:
    wd = [len(days[d]["VISIT_LOG"]) for d in DATES if _day(d).weekday() < 5]
    we = [len(days[d]["VISIT_LOG"]) for d in DATES if _day(d).weekday() >= 5]
    assert sum(wd) / len(wd) > 2 * sum(we) / len(we)


def test_visit_gps_is_near_the_grid_centre(days: dict) -> None:
    centre = {g["grid_no"]: (float(g["center_lon"]), float(g["center_lat"]))
              for g in days[DATES[0]]["GRID"]}
    for v in days[DATES[1]]["VISIT_LOG"]:
        lon, lat = centre[v["grid_no"]]
        assert abs(float(v["lon"]) - lon) < 0.05 and abs(float(v["lat"]) - lat) < 0.05


# --- determinism -----------------------------------------------------------------------


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate_tiny(tmp_path / "a", days=2, seed=7)
    b = generate_tiny(tmp_path / "b", days=2, seed=7)
    c = generate_tiny(tmp_path / "c", days=2, seed=8)
    assert _digest(a) == _digest(b)
    da, dc = _digest(a), _digest(c)
    assert da.keys() == dc.keys()
    # the org tree may coincide; customers, accounts, events and rates must not
    for k in da:
        if any(t in k for t in ("CUST_INFO", "DEP_ACCT", "DEP_TXN", "LOAN_DUEBILL", "FX_RATE")):
            assert da[k] != dc[k], k


def test_rerun_replaces_a_delivery_with_identical_bytes(tmp_path: Path) -> None:
    generate_tiny(tmp_path, days=1, seed=3)
    first = _digest(tmp_path)
    generate_tiny(tmp_path, days=1, seed=3)
    assert _digest(tmp_path) == first


def test_a_rerun_withdraws_the_old_done_before_rewriting(tmp_path: Path) -> None:
    # §1: a folder without DONE is still being written. Re-generating a date that had
    # a DONE and stopping before the end (no-done) must not leave the old DONE behind.
    generate_tiny(tmp_path, days=1, seed=3)
    folder = tmp_path / DATES[0]
    assert (folder / f"DONE_{DATES[0]}.flg").exists()
    generate_tiny(tmp_path, days=1, seed=4, corrupt="no-done")
    assert not (folder / f"DONE_{DATES[0]}.flg").exists()
    assert len(list(folder.glob("*.dat"))) == 13


# --- realism at `small` scale ------------------------------------------------------------


@pytest.fixture(scope="module")
def small_day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    root = tmp_path_factory.mktemp("small")
    generate(root, "small", dt.date(2026, 3, 30), 2, seed=1)
    tables = {t: read(root / "20260331", t) for t in contract.TABLE_NAMES}
    tables["LOAN_REPAY_BOTH_DAYS"] = read(root / "20260330", "LOAN_REPAY") + tables["LOAN_REPAY"]
    return tables


def test_small_province_fields_are_valid(small_day: dict) -> None:
    # more rows than tiny, so rarely drawn codes (e.g. lapse reason 99) are checked too
    check_fields("20260331", {t: small_day[t] for t in contract.TABLE_NAMES})
    reasons = {p["lapse_reason"] for p in small_day["INS_POLICY"]}
    assert reasons == {"", "01", "02", "03", "04", "05", "99"}


def test_small_province_has_a_plausible_loan_book(small_day: dict) -> None:
    tb = small_day
    assert 19_000 < len(tb["CUST_INFO"]) < 21_000
    inb = [lo for lo in tb["LOAN_DUEBILL"] if lo["status"] == "1"]
    total = sum(cents(lo["balance"]) for lo in inb)
    npl = sum(cents(lo["balance"]) for lo in inb if lo["five_class"] in "345")
    assert 0.015 <= npl / total <= 0.04, npl / total
    # 普惠 (indicators.md): small/micro enterprises, 个体工商户/小微企业主/农户 business loans
    custs = {c["cust_no"]: c for c in tb["CUST_INFO"]}
    today = "20260331"
    credit: dict[str, int] = defaultdict(int)
    for lim in tb["CREDIT_LIMIT"]:
        if lim["status"] == "1" and lim["start_date"] <= today <= lim["end_date"]:
            credit[lim["cust_no"]] += cents(lim["limit_amt"])
    bal_credit: dict[str, int] = defaultdict(int)
    for lo in inb:
        bal_credit[lo["cust_no"]] += cents(lo["balance"])

    def single(c: str) -> int:
        return credit[c] if c in credit else bal_credit[c]

    def inclusive(lo: dict[str, str]) -> bool:
        c = custs[lo["cust_no"]]
        sh = single(lo["cust_no"])
        micro = sh <= 10_000_000_00 and (
            (c["cust_type"] == "2" and c["ent_scale"] in ("3", "4"))
            or (c["cust_type"] == "3" and lo["purpose"] == "1")
            or (c["cust_type"] == "1" and c["owner_cust_no"] != "" and lo["purpose"] == "1"))
        farm = (sh <= 5_000_000_00 and c["cust_type"] == "1" and c["farmer_flag"] == "1"
                and lo["purpose"] == "1")
        return micro or farm

    incl = sum(cents(lo["balance"]) for lo in inb if inclusive(lo))
    assert incl / total > 0.35, incl / total
    # customers at the single-household credit thresholds exist on both sides
    near = [single(c) for c in {lo["cust_no"] for lo in inb}]
    assert any(9_000_000_00 <= s <= 10_000_000_00 for s in near)
    assert any(10_000_000_00 < s <= 12_000_000_00 for s in near)
    assert any(5_000_000_00 < s <= 6_000_000_00 for s in near)


def test_credit_limit_status_follows_its_term(days: dict) -> None:
    seen = Counter()
    for d, tb in days.items():
        for lim in tb["CREDIT_LIMIT"]:
            if lim["status"] == "1":
                assert lim["start_date"] <= d <= lim["end_date"]
            assert lim["start_date"] < lim["end_date"]
            seen[lim["limit_type"], lim["status"]] += 1
    assert {("1", "1"), ("2", "1"), ("2", "0")} <= set(seen)


def test_subjects_match_the_customer_type(days: dict) -> None:
    tb = days[DATES[-1]]
    ctype = {c["cust_no"]: c["cust_type"] for c in tb["CUST_INFO"]}
    for a in tb["DEP_ACCT"]:
        personal = a["subject_code"] in ("20110101", "20110102")
        assert personal == (ctype[a["cust_no"]] != "2"), a
        assert (a["mature_date"] == "") == (a["subject_code"] in ("20110101", "20110201",
                                                                   "20110301"))
    for lo in tb["LOAN_DUEBILL"]:
        corp = lo["subject_code"] in ("13030201", "13030202")
        assert corp == (ctype[lo["cust_no"]] == "2"), lo
        if lo["subject_code"] == "13030101":
            assert lo["purpose"] == "1"


def test_small_province_disburses_settles_and_writes_off_loans(small_day: dict) -> None:
    new = [lo for lo in small_day["LOAN_DUEBILL"] if lo["disb_date"] == "20260331"]
    assert new
    for lo in new:
        assert lo["five_class"] == "1" and lo["overdue_days"] == "0"
        assert lo["balance"] == lo["disb_amt"] and lo["status"] == "1"
    by_status = Counter(lo["status"] for lo in small_day["LOAN_DUEBILL"])
    assert by_status["2"] > 0
    for lo in small_day["LOAN_DUEBILL"]:
        if lo["status"] == "2":
            assert lo["balance"] == "0.00"
        if lo["status"] == "3":
            assert int(lo["overdue_days"]) > 360 and lo["five_class"] == "5"
    repays = Counter(r["repay_type"] for r in small_day["LOAN_REPAY_BOTH_DAYS"])
    assert set(repays) == {"1", "2", "3"}
