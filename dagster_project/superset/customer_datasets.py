"""Datasets of the 客户经营 dashboard (issue 15): the customer-operations serving tables.

Each is a physical table dbt built (dbt/models/serving/srv_customer_*.sql,
srv_opportunity.sql, srv_precredit.sql; docs/customer-ops.md "On the dashboard") with
the same date, org-path and row-level-security columns as every governed dataset, so
the dashboard's filters and rls.py's rules cover them unchanged. The org is the
customer's owner (customer-ops.md §1). Their measures are dictionary.yml ``measures``.

These rows are about single customers, so they carry a masked name at most
(``cust_name_masked``, 张*): never an ID number or a phone, nor a hash of either
(test_bundle checks every dataset). rls.py also hides them from a user who holds no
org role and is not a province-wide reader (:data:`CUSTOMER_DATASETS`).
"""

from __future__ import annotations

from dagster_project.superset.datasets import (
    DATE_COLUMNS,
    ORG_COLUMNS,
    PATH_COLUMNS,
    RLS_COLUMNS,
    Dataset,
)
from dagster_project.superset.metrics import column, measures_of

# The customer's owner (customer-ops.md §1); mgr_label is the 客户经理 filter's option
# (name（number）: names repeat in a bank, numbers do not).
OWNER_COLUMNS = [
    column("mgr_no", "VARCHAR", "客户经理号"),
    column("mgr_name", "VARCHAR", "管户客户经理"),
    column("mgr_label", "VARCHAR", "客户经理"),
]
_OWNED = [*OWNER_COLUMNS, *ORG_COLUMNS, *PATH_COLUMNS, *RLS_COLUMNS]
CUSTOMER_NO = column("cust_no", "VARCHAR", "客户号")
CUSTOMER_NAME = column("cust_name_masked", "VARCHAR", "客户名称",
                       description="CUST_INFO.cust_name masked to its first character "
                       "+ * for every customer, enterprises too (张*).")


def customer_tag() -> Dataset:
    cols = [*DATE_COLUMNS, CUSTOMER_NO,
            column("tag_code", "VARCHAR", "标签代码"),
            column("tag_name", "VARCHAR", "客户标签"), *_OWNED]
    return Dataset("srv_customer_tag",
                   "客户标签（customer-ops.md §3）：每个业务日期、客户、所持标签一行，"
                   "按管户客户经理及其机构归属。", cols, measures_of("srv_customer_tag"))


def customer_tag_overlap() -> Dataset:
    cols = [*DATE_COLUMNS,
            column("tag_a_code", "VARCHAR", "标签A代码"),
            column("tag_a_name", "VARCHAR", "标签A"),
            column("tag_b_code", "VARCHAR", "标签B代码"),
            column("tag_b_name", "VARCHAR", "标签B"),
            column("cust_cnt", "BIGINT", "同时持有客户数（分量）", groupby=False), *_OWNED]
    return Dataset("srv_customer_tag_overlap",
                   "标签重叠：每个业务日期、管户客户经理与机构、标签对一行，"
                   "同时持有两个标签的客户数（标签A=标签B 即持有户数）。",
                   cols, measures_of("srv_customer_tag_overlap"))


def opportunity() -> Dataset:
    cols = [*DATE_COLUMNS,
            column("raised_date", "DATE", "触发日期（日期型）"),
            column("raised_dt", "VARCHAR", "触发日期"),
            column("event_type", "VARCHAR", "商机类型代码"),
            column("event_type_name", "VARCHAR", "商机类型"),
            CUSTOMER_NO, CUSTOMER_NAME,
            column("ref_no", "VARCHAR", "账号/借据号/额度编号"),
            column("amount", "DOUBLE", "商机金额（元）", groupby=False),
            column("due_date", "DATE", "到期日（日期型）"),
            column("due_dt", "VARCHAR", "到期日"),
            column("follow_up_date", "DATE", "跟进截止日（日期型）"),
            column("follow_up_dt", "VARCHAR", "跟进截止日"),
            column("days_left", "BIGINT", "剩余跟进天数", groupby=False),
            column("status", "VARCHAR", "状态代码"),
            column("status_name", "VARCHAR", "状态"),
            column("is_new", "BOOLEAN", "今日新增"), *_OWNED]
    return Dataset("srv_opportunity",
                   "在途商机（customer-ops.md §4）：每个业务日期、当日仍在跟进期内的商机一行"
                   "（有到期日的至到期日，无到期日的自触发日起7天），状态与归属取触发日。",
                   cols, measures_of("srv_opportunity"))


def precredit() -> Dataset:
    cols = [*DATE_COLUMNS, CUSTOMER_NO,
            column("cust_type", "VARCHAR", "客户类型代码"),
            column("cust_type_name", "VARCHAR", "客户类型"),
            column("admitted", "BOOLEAN", "准入"),
            column("admitted_name", "VARCHAR", "准入结果"),
            column("reject_reason", "VARCHAR", "未准入原因代码"),
            column("reject_reason_name", "VARCHAR", "未准入原因"),
            column("score", "INTEGER", "评分", groupby=False),
            column("limit_amt", "DOUBLE", "预授信额度（元）", groupby=False), *_OWNED]
    return Dataset("srv_precredit",
                   "预授信白名单（customer-ops.md §5）：每个业务日期、个人与个体工商户客户一行，"
                   "准入结果、未准入原因、评分与额度。", cols, measures_of("srv_precredit"))


def customer_lookup() -> Dataset:
    cols = [*DATE_COLUMNS, CUSTOMER_NO, CUSTOMER_NAME,
            column("cust_type", "VARCHAR", "客户类型代码"),
            column("cust_type_name", "VARCHAR", "客户类型"),
            column("age", "INTEGER", "年龄（数值）", groupby=False),
            column("age_text", "VARCHAR", "年龄"),
            column("farmer_flag_name", "VARCHAR", "农户标志"),
            column("education_name", "VARCHAR", "学历"),
            column("marital_name", "VARCHAR", "婚姻状况"),
            column("region_code", "VARCHAR", "行政区划"),
            column("grid_no", "VARCHAR", "网格号"),
            column("grid_name", "VARCHAR", "网格"),
            column("dep_bal", "DOUBLE", "存款余额（元）", groupby=False),
            column("dep_davg_mtd", "DOUBLE", "存款月日均（元）", groupby=False),
            column("dep_tier", "VARCHAR", "存款层级"),
            column("loan_bal", "DOUBLE", "贷款余额（元）", groupby=False),
            column("credit_amt", "DOUBLE", "授信额度（元）", groupby=False),
            column("mobile_txn_30d", "INTEGER", "近30天手机银行交易（笔）", groupby=False),
            column("last_txn_date", "DATE", "最近交易日（日期型）"),
            column("last_txn_dt", "VARCHAR", "最近交易日"),
            column("last_visit_date", "DATE", "最近走访日（日期型）"),
            column("last_visit_dt", "VARCHAR", "最近走访日"),
            column("policy_cnt", "INTEGER", "代理保险保单（件）", groupby=False),
            column("tag_cnt", "BIGINT", "标签数", groupby=False),
            column("tag_codes", "VARCHAR", "标签代码"),
            column("tag_names", "VARCHAR", "客户标签"),
            column("open_event_cnt", "BIGINT", "在途商机数", groupby=False),
            column("open_events", "VARCHAR", "在途商机"),
            column("precredit_admitted", "BOOLEAN", "预授信准入"),
            column("precredit_result", "VARCHAR", "预授信结果"),
            column("precredit_reject_reason", "VARCHAR", "未准入原因代码"),
            column("precredit_score", "INTEGER", "预授信评分", groupby=False),
            column("precredit_limit_amt", "DOUBLE", "预授信额度（元）", groupby=False),
            *_OWNED]
    return Dataset("srv_customer_lookup",
                   "客户查询：每个业务日期、客户一行，画像、脱敏客户名称、标签、在途商机与预授信结果"
                   "（不含证件号码与手机号）。", cols, measures_of("srv_customer_lookup"))


def customer_datasets() -> list[Dataset]:
    return [customer_tag(), customer_tag_overlap(), opportunity(), precredit(),
            customer_lookup()]


# Rows about single customers: rls.py adds a Base rule that shows them to no one but
# admins, province-wide readers and holders of an org role (whose own rule applies).
CUSTOMER_DATASETS = frozenset(d.key for d in customer_datasets())
