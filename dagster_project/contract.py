"""The T+1 extract contract (../shared/contract/t1-extract-spec.md) as data.

One machine-readable statement of the delivery format: the generator writes it,
ingestion validates against it, the dbt sources and the raw-layer DDL are derived
from it. Section numbers in comments refer to the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ENCODING = "gb18030"  # §2: GB18030 (GBK-compatible)
FIELD_SEP = "|"  # §2: 0x7C, no quoting, no escaping
RECORD_SEP = "\n"  # §2: LF
DATE_FORMAT = "%Y%m%d"  # §2 DATE
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"  # §2 TIMESTAMP, Beijing time

Kind = Literal["full", "incr"]
# Logical column types of §4. Raw-layer SQL types are in SQL_TYPES.
ColType = Literal["varchar", "char", "int", "date", "timestamp", "dec2", "dec4", "dec6"]

SQL_TYPES: dict[str, str] = {
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "int": "INTEGER",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "dec2": "DECIMAL(18,2)",
    "dec4": "DECIMAL(8,4)",
    "dec6": "DECIMAL(12,6)",
}

# Maximum digits after the decimal point per decimal type (§2: "at most 2 places
# unless stated"; rate is DECIMAL(8,4), lon/lat DECIMAL(9,6), FX DECIMAL(12,6)).
DECIMAL_SCALE: dict[str, int] = {"dec2": 2, "dec4": 4, "dec6": 6}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType
    length: int | None = None  # VARCHAR(n) / CHAR(n) limit from the spec
    codes: tuple[str, ...] | None = None  # §4/§5 code list; empty field allowed if nullable
    pii: bool = False
    nullable: bool = True
    comment: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    kind: Kind
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def raw_table(self) -> str:
        """Name of the raw-layer table in the warehouse (schema ``raw``)."""
        return self.name.lower()


def _c(name: str, type_: ColType, length: int | None = None, **kw: object) -> Column:
    return Column(name, type_, length, **kw)  # type: ignore[arg-type]


# §5 subject codes
DEPOSIT_SUBJECTS = ("20110101", "20110102", "20110201", "20110202", "20110301")
LOAN_SUBJECTS = ("13030101", "13030102", "13030201", "13030202")
SUBJECT_NAMES: dict[str, str] = {
    "20110101": "个人活期存款",
    "20110102": "个人定期存款",
    "20110201": "单位活期存款",
    "20110202": "单位定期存款",
    "20110301": "保证金存款",
    "13030101": "个人经营性贷款",
    "13030102": "个人消费贷款",
    "13030201": "单位流动资金贷款",
    "13030202": "单位固定资产贷款",
}
CURRENCIES = ("CNY", "USD", "EUR", "HKD", "JPY")
INDUSTRY_CODES = tuple("ABCDEFGHIJKLMNOPQRST")  # GB/T 4754 门类 A … T

# Code lists with their Chinese labels (seeded into dbt as reference data).
CODE_LABELS: dict[str, dict[str, str]] = {
    "org_level": {"1": "省联社", "2": "法人行社", "3": "支行", "4": "网点"},
    "org_status": {"1": "正常", "0": "撤并"},
    "post_type": {"1": "零售", "2": "对公", "3": "普惠"},
    "mgr_status": {"1": "在岗", "0": "离岗"},
    "cust_type": {"1": "个人", "2": "对公", "3": "个体工商户"},
    "id_type": {"01": "居民身份证", "02": "统一社会信用代码", "03": "其他"},
    "gender": {"1": "男", "2": "女"},
    "education": {
        "10": "研究生", "20": "本科", "30": "专科", "40": "高中/中专", "50": "初中及以下",
    },
    "marital": {"1": "未婚", "2": "已婚", "3": "离异", "4": "丧偶"},
    "farmer_flag": {"1": "农户", "0": "非农户"},
    "ent_scale": {"1": "大型", "2": "中型", "3": "小型", "4": "微型"},
    "cust_status": {"1": "正常", "0": "注销"},
    "dep_status": {"1": "正常", "2": "冻结", "0": "销户"},
    "five_class": {"1": "正常", "2": "关注", "3": "次级", "4": "可疑", "5": "损失"},
    "guarantee_type": {"1": "信用", "2": "保证", "3": "抵押", "4": "质押"},
    "flag01": {"1": "是", "0": "否"},
    "purpose": {"1": "经营", "2": "消费", "3": "其他"},
    "loan_channel": {"1": "线下", "2": "线上"},
    "loan_status": {"1": "正常", "2": "结清", "3": "核销"},
    "limit_type": {"1": "单笔", "2": "循环"},
    "limit_status": {"1": "有效", "0": "失效"},
    "repay_type": {"1": "正常", "2": "提前", "3": "逾期归还"},
    "dr_cr": {"D": "支出", "C": "存入"},
    "txn_channel": {
        "1": "柜面", "2": "手机银行", "3": "网银", "4": "ATM", "5": "POS", "6": "第三方支付",
    },
    "visit_type": {"1": "走访建档", "2": "产品营销", "3": "贷后检查", "4": "保单续期跟进"},
    "outcome": {"1": "有意向", "2": "无意向", "3": "已授信", "4": "已用信"},
    "pay_freq": {"1": "趸交", "2": "年交", "3": "月交"},
    "policy_status": {
        "1": "有效", "2": "宽限期", "3": "中止", "4": "复效", "5": "退保", "6": "满期",
        "7": "理赔终止",
    },
    "lapse_reason": {
        "01": "忘记缴费", "02": "经济困难", "03": "账户余额不足",
        "04": "不认可产品", "05": "联系不上", "99": "其他",
    },
    "subject_code": SUBJECT_NAMES,
    "ccy": {"CNY": "人民币", "USD": "美元", "EUR": "欧元", "HKD": "港币", "JPY": "日元"},
}


def _codes(list_name: str) -> tuple[str, ...]:
    return tuple(CODE_LABELS[list_name])


TABLES: tuple[Table, ...] = (
    Table("ORG_INFO", "机构信息", "full", (
        _c("org_no", "varchar", 12, nullable=False),
        _c("org_name", "varchar", nullable=False),
        _c("org_level", "int", codes=("1", "2", "3", "4"), nullable=False),
        _c("parent_org_no", "varchar", 12, comment="empty for level 1"),
        _c("legal_org_no", "varchar", 12, comment="the org itself at level 2; empty at level 1"),
        _c("region_code", "char", 6),
        _c("status", "char", 1, codes=_codes("org_status"), nullable=False),
        _c("open_date", "date"),
    ), ("org_no",)),
    Table("CUST_MGR", "客户经理", "full", (
        _c("mgr_no", "varchar", 12, nullable=False),
        _c("mgr_name", "varchar"),
        _c("org_no", "varchar", 12, nullable=False),
        _c("post_type", "char", 1, codes=_codes("post_type")),
        _c("status", "char", 1, codes=_codes("mgr_status"), nullable=False),
        _c("hire_date", "date"),
        _c("phone", "varchar", pii=True),
    ), ("mgr_no",)),
    Table("CUST_INFO", "客户信息", "full", (
        _c("cust_no", "varchar", 16, nullable=False),
        _c("cust_name", "varchar", pii=True, comment="PII for cust_type 1 and 3"),
        _c("cust_type", "char", 1, codes=_codes("cust_type"), nullable=False),
        _c("id_type", "char", 2, codes=_codes("id_type")),
        _c("id_no", "varchar", pii=True),
        _c("gender", "char", 1, codes=_codes("gender")),
        _c("birth_date", "date"),
        _c("education", "char", 2, codes=_codes("education")),
        _c("marital", "char", 1, codes=_codes("marital")),
        _c("phone", "varchar", pii=True),
        _c("region_code", "char", 6),
        _c("farmer_flag", "char", 1, codes=_codes("farmer_flag")),
        _c("ent_scale", "char", 1, codes=_codes("ent_scale")),
        _c("industry_code", "char", 1, codes=INDUSTRY_CODES),
        _c("mgr_no", "varchar", 12),
        _c("grid_no", "varchar", 16),
        _c("open_date", "date"),
        _c("status", "char", 1, codes=_codes("cust_status"), nullable=False),
        _c("owner_cust_no", "varchar", 16),
    ), ("cust_no",)),
    Table("DEP_ACCT", "存款分户账", "full", (
        _c("acct_no", "varchar", 22, nullable=False),
        _c("cust_no", "varchar", 16, nullable=False),
        _c("org_no", "varchar", 12, nullable=False),
        _c("prod_cd", "varchar", 8),
        _c("subject_code", "varchar", 8, codes=DEPOSIT_SUBJECTS, nullable=False),
        _c("ccy", "char", 3, codes=CURRENCIES, nullable=False),
        _c("balance", "dec2", nullable=False, comment=">= 0"),
        _c("open_date", "date"),
        _c("mature_date", "date"),
        _c("rate", "dec4"),
        _c("status", "char", 1, codes=_codes("dep_status"), nullable=False),
        _c("mgr_no", "varchar", 12),
    ), ("acct_no",)),
    Table("LOAN_DUEBILL", "贷款借据", "full", (
        _c("loan_no", "varchar", 22, nullable=False),
        _c("contract_no", "varchar", 22),
        _c("cust_no", "varchar", 16, nullable=False),
        _c("org_no", "varchar", 12, nullable=False),
        _c("prod_cd", "varchar", 8),
        _c("subject_code", "varchar", 8, codes=LOAN_SUBJECTS, nullable=False),
        _c("ccy", "char", 3, codes=CURRENCIES, nullable=False),
        _c("disb_amt", "dec2"),
        _c("balance", "dec2", nullable=False, comment=">= 0"),
        _c("disb_date", "date"),
        _c("mature_date", "date"),
        _c("rate", "dec4"),
        _c("five_class", "char", 1, codes=_codes("five_class"), nullable=False),
        _c("overdue_days", "int", nullable=False),
        _c("overdue_prin", "dec2"),
        _c("overdue_int", "dec2"),
        _c("guarantee_type", "char", 1, codes=_codes("guarantee_type")),
        _c("agri_flag", "char", 1, codes=_codes("flag01")),
        _c("purpose", "char", 1, codes=_codes("purpose")),
        _c("channel", "char", 1, codes=_codes("loan_channel")),
        _c("mgr_no", "varchar", 12),
        _c("status", "char", 1, codes=_codes("loan_status"), nullable=False),
    ), ("loan_no",)),
    Table("CREDIT_LIMIT", "授信额度", "full", (
        _c("limit_no", "varchar", 22, nullable=False),
        _c("cust_no", "varchar", 16, nullable=False),
        _c("org_no", "varchar", 12, nullable=False),
        _c("limit_amt", "dec2", nullable=False),
        _c("start_date", "date"),
        _c("end_date", "date"),
        _c("limit_type", "char", 1, codes=_codes("limit_type")),
        _c("status", "char", 1, codes=_codes("limit_status"), nullable=False),
    ), ("limit_no",)),
    Table("LOAN_REPAY", "还款流水", "incr", (
        _c("repay_id", "varchar", 32, nullable=False),
        _c("loan_no", "varchar", 22, nullable=False),
        _c("txn_date", "date", nullable=False, comment="= business date"),
        _c("prin_amt", "dec2"),
        _c("int_amt", "dec2"),
        _c("repay_type", "char", 1, codes=_codes("repay_type")),
    ), ("repay_id",)),
    Table("DEP_TXN", "存款交易流水", "incr", (
        _c("txn_id", "varchar", 32, nullable=False),
        _c("acct_no", "varchar", 22, nullable=False),
        _c("txn_time", "timestamp", nullable=False, comment="its date = business date"),
        _c("amount", "dec2", nullable=False, comment="> 0"),
        _c("dr_cr", "char", 1, codes=_codes("dr_cr"), nullable=False),
        _c("channel", "char", 1, codes=_codes("txn_channel")),
    ), ("txn_id",)),
    Table("GRID", "网格", "full", (
        _c("grid_no", "varchar", 16, nullable=False),
        _c("grid_name", "varchar"),
        _c("org_no", "varchar", 12, nullable=False),
        _c("mgr_no", "varchar", 12),
        _c("region_code", "char", 6),
        _c("household_cnt", "int"),
        _c("center_lon", "dec6"),
        _c("center_lat", "dec6"),
    ), ("grid_no",)),
    Table("VISIT_LOG", "走访记录", "incr", (
        _c("visit_id", "varchar", 32, nullable=False),
        _c("mgr_no", "varchar", 12, nullable=False),
        _c("cust_no", "varchar", 16, comment="empty for a prospect not yet on file"),
        _c("grid_no", "varchar", 16),
        _c("visit_time", "timestamp", nullable=False, comment="its date = business date"),
        _c("lon", "dec6"),
        _c("lat", "dec6"),
        _c("visit_type", "char", 1, codes=_codes("visit_type")),
        _c("outcome", "char", 1, codes=_codes("outcome")),
        _c("satisfaction", "int", codes=("1", "2", "3", "4", "5")),
        _c("photo_cnt", "int"),
        _c("policy_no", "varchar", 24),
        _c("note", "varchar"),
    ), ("visit_id",)),
    Table("INS_POLICY", "代理保单", "full", (
        _c("policy_no", "varchar", 24, nullable=False),
        _c("insurer_cd", "varchar", 6),
        _c("ins_prod_cd", "varchar", 10),
        _c("cust_no", "varchar", 16, nullable=False),
        _c("org_no", "varchar", 12, nullable=False),
        _c("seller_no", "varchar", 12),
        _c("issue_date", "date"),
        _c("pay_freq", "char", 1, codes=_codes("pay_freq"), nullable=False),
        _c("premium", "dec2"),
        _c("pay_years", "int"),
        _c("next_due_date", "date"),
        _c("status", "char", 1, codes=_codes("policy_status"), nullable=False),
        _c("status_date", "date"),
        _c("lapse_reason", "char", 2, codes=_codes("lapse_reason")),
    ), ("policy_no",)),
    Table("GL_BAL", "总账科目余额", "full", (
        _c("org_no", "varchar", 12, nullable=False),
        _c("subject_code", "varchar", 8, codes=DEPOSIT_SUBJECTS + LOAN_SUBJECTS, nullable=False),
        _c("ccy", "char", 3, codes=CURRENCIES, nullable=False),
        _c("balance", "dec2", nullable=False),
    ), ("org_no", "subject_code", "ccy")),
    Table("FX_RATE", "汇率", "full", (
        _c("ccy", "char", 3, codes=CURRENCIES, nullable=False),
        _c("rate_to_cny", "dec6", nullable=False),
    ), ("ccy",)),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)


def data_file_name(table: str, biz_date: str) -> str:
    """§1: ``<TABLE>_<YYYYMMDD>.dat``."""
    return f"{table}_{biz_date}.dat"


def control_file_name(table: str, biz_date: str) -> str:
    """§1: ``<TABLE>_<YYYYMMDD>.flg``."""
    return f"{table}_{biz_date}.flg"


def done_file_name(biz_date: str) -> str:
    """§1: ``DONE_<YYYYMMDD>.flg``, written last."""
    return f"DONE_{biz_date}.flg"


def control_line(data_file: str, rows: int, size: int, md5_hex: str) -> str:
    """§2: ``<data file name>|<row count>|<byte size>|<md5, lower-case hex>``."""
    return f"{data_file}|{rows}|{size}|{md5_hex.lower()}"


def raw_ddl(table: Table, schema: str = "raw") -> str:
    """DDL of the raw-layer table: ``biz_date`` then the contract columns, typed."""
    cols = ",\n    ".join(f"{c.name} {SQL_TYPES[c.type]}" for c in table.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {schema}.{table.raw_table} (\n"
        f"    biz_date DATE NOT NULL,\n    {cols}\n)"
    )
