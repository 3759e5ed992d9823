"""docs/extract-contract.md and docs/indicators.md restate the two contracts: their
tables of columns and codes must not drift from contract.py and the reference."""

from __future__ import annotations

import re
from pathlib import Path

from dagster_project import contract
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
