"""A minimal valid delivery written in the exact contract format (tests, docs, smoke runs).

Independent of the generator: a few hand-written rows per table, chosen so every
rule of the contract holds (the GL_BAL rows equal the account sums by hand:
B001/20110101/CNY 1000.50, 20110201/CNY 50000.00, 20110102/USD 200.00,
13030101/CNY 80000.00; the settled loan L002 counts in no balance). Tests mutate
the rows to break one rule at a time.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from dagster_project import contract

Rows = dict[str, list[list[str]]]

# Values the PII scan looks for: they must never appear in the warehouse.
PII_ID_NUMBERS = ("330102199001011234", "91330100MA2B3C4D5E", "330102198505051235")
PII_PHONES = ("13812345678", "057188886666", "13712345679", "13900000001")
PII_PERSONAL_NAMES = ("张三丰", "王小二")


def sample_tables(biz_date: date) -> Rows:
    d = biz_date.strftime(contract.DATE_FORMAT)
    return {
        "ORG_INFO": [
            ["P001", "浙江省农村信用社联合社", "1", "", "", "330000", "1", "20000101"],
            ["B001", "桃源农商银行", "2", "P001", "B001", "330102", "1", "20050101"],
            ["S001", "桃源农商银行城东支行", "3", "B001", "B001", "330102", "1", "20080101"],
            ["W001", "桃源农商银行城东支行营业部", "4", "S001", "B001", "330102", "1", "20080101"],
        ],
        "CUST_MGR": [["M001", "李经理", "W001", "3", "1", "20150301", "13900000001"]],
        "CUST_INFO": [
            ["C001", "张三丰", "1", "01", "330102199001011234", "1", "19900101", "20", "2",
             "13812345678", "330102", "1", "", "A", "M001", "G001", "20200101", "1", "C002"],
            ["C002", "桃源绿茶科技有限公司", "2", "02", "91330100MA2B3C4D5E", "", "", "", "",
             "057188886666", "330102", "", "3", "C", "M001", "", "20200101", "1", ""],
            ["C003", "王小二", "3", "01", "330102198505051235", "2", "19850505", "40", "1",
             "13712345679", "330102", "1", "", "A", "M001", "G001", "20210101", "1", ""],
        ],
        "DEP_ACCT": [
            ["A001", "C001", "W001", "P101", "20110101", "CNY", "1000.50", "20200101", "",
             "0.3500", "1", "M001"],
            ["A002", "C002", "W001", "P201", "20110201", "CNY", "50000", "20200101", "",
             "0.35", "1", "M001"],
            ["A003", "C001", "W001", "P102", "20110102", "USD", "200.00", "20240101",
             "20260101", "1.5", "1", ""],
        ],
        "LOAN_DUEBILL": [
            ["L001", "HT001", "C003", "W001", "L101", "13030101", "CNY", "100000.00", "80000.00",
             "20240101", "20270101", "4.3500", "1", "0", "0.00", "0.00", "2", "1", "1", "1",
             "M001", "1"],
            ["L002", "HT002", "C002", "S001", "L201", "13030201", "CNY", "500000.00", "0.00",
             "20230101", "20250101", "4.0000", "1", "0", "0", "0", "3", "0", "1", "1",
             "M001", "2"],
        ],
        "CREDIT_LIMIT": [["LM001", "C003", "W001", "200000.00", "20240101", "20270101", "2",
                          "1"]],
        "LOAN_REPAY": [["R001", "L001", d, "1000.00", "300.00", "1"]],
        "DEP_TXN": [
            ["T001", "A001", d + "093000", "500.00", "C", "1"],
            ["T002", "A002", d + "235959", "20.5", "D", "2"],
        ],
        "GRID": [["G001", "桃源村", "W001", "M001", "330102", "350", "120.123456", "30.123456"]],
        "VISIT_LOG": [
            ["V001", "M001", "C001", "G001", d + "101500", "120.1234", "30.1234", "4", "1", "5",
             "2", "PL001", "客户有意向续保｜下周再访"],
            ["V002", "M001", "", "G001", d + "143000", "", "", "1", "2", "", "0", "",
             "潜在客户"],
        ],
        "INS_POLICY": [
            ["PL001", "INS001", "P0001", "C001", "W001", "M001", "20230101", "2", "3000.00", "10",
             "20260101", "1", "20230101", ""],
            ["PL002", "INS001", "P0002", "C003", "W001", "M001", "20220101", "2", "1000.00", "5",
             "", "3", "20240601", "02"],
        ],
        "GL_BAL": [
            ["B001", "20110101", "CNY", "1000.50"],
            ["B001", "20110201", "CNY", "50000.00"],
            ["B001", "20110102", "USD", "200.00"],
            ["B001", "13030101", "CNY", "80000.00"],
        ],
        "FX_RATE": [["CNY", "1.000000"], ["USD", "7.1234"]],
    }


def encode_rows(rows: list[list[str]]) -> bytes:
    """§2: GB18030, fields joined by ``|``, every record ended by LF, no header."""
    return "".join("|".join(r) + "\n" for r in rows).encode(contract.ENCODING)


def write_delivery(landing: Path, biz_date: date, tables: Rows | None = None, *,
                   raw: dict[str, bytes] | None = None, done: bool = True) -> Path:
    """Write ``landing/<YYYYMMDD>/`` with data, control files and (unless ``done=False``)
    DONE last. ``raw`` gives exact bytes for some data files (to break encodings)."""
    d = biz_date.strftime(contract.DATE_FORMAT)
    tables = tables if tables is not None else sample_tables(biz_date)
    folder = landing / d
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for table in contract.TABLE_NAMES:
        data = (raw or {}).get(table)
        if data is None:
            data = encode_rows(tables[table])
        name = contract.data_file_name(table, d)
        (folder / name).write_bytes(data)
        (folder / contract.control_file_name(table, d)).write_text(
            contract.control_line(name, data.count(b"\n"), len(data),
                                  hashlib.md5(data).hexdigest()) + "\n", encoding="ascii")
        names.append(name)
    if done:
        (folder / contract.done_file_name(d)).write_text("\n".join(names) + "\n",
                                                         encoding="ascii")
    return folder
