"""docs/extract-contract.md and docs/indicators.md restate the two contracts: their
tables of columns and codes must not drift from contract.py and the reference."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from dagster_project import contract
from tests.fixtures import customer_ops
from tests.reference.indicators import MGR_CODES, ORG_CODES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_extract_contract_doc_lists_every_table_with_its_columns_in_section_4_order() -> None:
    text = (DOCS / "extract-contract.md").read_text("utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    documented = {}
    for section in sections:
        name = section.split()[0]
        section = section.split("\n## ")[0]
        documented[name] = re.findall(r"^\| \d+ \| (\w+) \|", section, flags=re.M)
    assert documented == {t.name: t.column_names for t in contract.TABLES}


def test_extract_contract_doc_marks_exactly_the_pii_columns() -> None:
    text = (DOCS / "extract-contract.md").read_text("utf-8")
    pii = set()
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        table = section.split()[0]
        pii |= {(table, c) for c in re.findall(r"^\| \d+ \| (\w+) \|.*\*\*PII\*\*", section,
                                               flags=re.M)}
    assert pii == {(t.name, c.name) for t in contract.TABLES for c in t.columns if c.pii}


def test_indicators_doc_defines_every_org_code_and_lists_the_manager_codes() -> None:
    text = (DOCS / "indicators.md").read_text("utf-8")
    definitions = text.split("## Manager grain")[0]
    defined = re.findall(r"^\| ([A-Z0-9_]+) \| ", definitions, flags=re.M)
    assert defined == list(ORG_CODES)
    grain = text.split("## Manager grain")[1].split("##")[0]
    assert re.findall(r"\b([A-Z][A-Z0-9_]+[A-Z0-9])\b", grain.split(":")[-1]) == list(MGR_CODES)


# --- customer-ops.md §1-§5 (issue 15): docs/customer-ops.md --------------------------
# Compared with the lists of tests/fixtures/customer_ops.py, which the hand-worked test
# uses too; those lists are checked against the contract file itself where it exists
# (it lives outside the repository, so a fresh clone skips only that comparison).


def _customer_ops_doc() -> dict[int, str]:
    text = (DOCS / "customer-ops.md").read_text("utf-8")
    assert text.startswith("# Customer operations (客户经营)\n")
    return customer_ops.sections(text)


def test_customer_ops_doc_lists_the_profile_columns_in_order() -> None:
    section = _customer_ops_doc()[2]
    columns = re.findall(r"^\| ([a-z_0-9]+) \| [A-Z]+ \|", section, flags=re.M)
    assert tuple(columns) == customer_ops.PROFILE_COLUMNS


def test_customer_ops_doc_lists_the_tags_events_and_reject_reasons_in_order() -> None:
    sections = _customer_ops_doc()
    assert customer_ops.code_rows(sections[3]) == list(customer_ops.TAGS.items())
    assert customer_ops.code_rows(sections[4]) == list(customer_ops.EVENT_TYPES.items())
    admission = sections[5].split("**Score")[0]
    assert customer_ops.code_rows(admission) == list(customer_ops.REJECT_REASONS.items())


def test_customer_ops_doc_names_every_parameter_of_the_seed() -> None:
    seed = Path(__file__).resolve().parents[2] / "seeds" / "precredit_parameters.csv"
    with seed.open(encoding="utf-8") as f:
        parameters = {row["parameter"] for row in csv.DictReader(f)}
    section = _customer_ops_doc()[5]
    assert {p for p in parameters if p not in section} == set()


def test_customer_ops_lists_are_the_contracts() -> None:
    path = customer_ops.contract_path()
    if path is None:
        pytest.skip("shared/contract/customer-ops.md is not beside this checkout")
    stated = customer_ops.parse_contract(path.read_text("utf-8"))
    assert stated["profile_columns"] == customer_ops.PROFILE_COLUMNS
    assert list(stated["tags"].items()) == list(customer_ops.TAGS.items())
    assert list(stated["event_types"].items()) == list(customer_ops.EVENT_TYPES.items())
    # the order is the rule: the first failing rule is the reason
    assert list(stated["reject_reasons"].items()) == list(customer_ops.REJECT_REASONS.items())
    assert stated["tables"] == tuple(customer_ops.TABLES)
