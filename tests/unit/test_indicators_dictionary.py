"""The indicator dictionary is the single source of indicator meaning (STYLE.md).

It must list exactly indicators.md's codes at the right grains, and every file
generated from it must be up to date with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dagster_project.indicators import UNITS, codes_for_grain, generate, load_dictionary

REPO = Path(__file__).resolve().parents[2]
INDICATORS_MD = REPO.parent / "shared" / "contract" / "indicators.md"


def _indicators_md() -> str:
    if not INDICATORS_MD.exists():
        pytest.skip(f"contract text not found at {INDICATORS_MD}")
    return INDICATORS_MD.read_text(encoding="utf-8")


def _md_org_codes(text: str) -> list[str]:
    """Codes in the first column of indicators.md's tables, in order."""
    return re.findall(r"^\| ([A-Z][A-Z0-9_]+) \|", text, flags=re.MULTILINE)


def _md_mgr_codes(text: str) -> list[str]:
    section = text.split("## Manager grain", 1)[1].split("## The published", 1)[0]
    listed = section.split("visits by VISIT_LOG.mgr_no:", 1)[1]
    return re.findall(r"[A-Z][A-Z0-9_]{2,}", listed)


def test_org_codes_are_exactly_indicators_md_codes() -> None:
    md_codes = _md_org_codes(_indicators_md())
    assert len(md_codes) == 45  # count the tables' rows of indicators.md by hand: 8+11+12+7+7
    assert codes_for_grain("org") == md_codes


def test_mgr_codes_are_exactly_the_manager_grain_list() -> None:
    md_codes = _md_mgr_codes(_indicators_md())
    assert md_codes == [
        "DEP_BAL", "DEP_BAL_YTD_CHG", "DEP_DAVG_MTD", "DEP_DAVG_YTD", "LOAN_BAL", "NPL_BAL",
        "NPL_RATIO", "INCL_BAL", "INCL_CUST_CNT", "VISIT_CNT_MTD", "VISIT_CONV_MTD",
    ]
    assert codes_for_grain("mgr") == md_codes


def test_chinese_names_match_indicators_md() -> None:
    text = _indicators_md()
    names = dict(re.findall(r"^\| ([A-Z][A-Z0-9_]+) \| ([^|]+?) \|", text, flags=re.MULTILINE))
    assert {i.code: i.name_zh for i in load_dictionary()} == names


@pytest.mark.parametrize("ind", load_dictionary(), ids=lambda i: i.code)
def test_every_entry_is_complete_and_consistent(ind) -> None:
    assert ind.unit in UNITS
    assert ind.definition and ind.name_en
    # ratios are fractions (indicators.md "Ratios"), shown as percentages
    if ind.unit == "比率":
        assert ind.format.endswith("%")
    if ind.unit == "元":
        assert ind.format == ",.0f"


def test_generated_files_are_up_to_date() -> None:
    stale = [str(p.relative_to(REPO)) for p in generate.stale_files()]
    assert stale == [], "run: uv run python -m dagster_project.indicators.generate"


def test_stale_check_notices_an_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The up-to-date check can fail: a changed target is reported as stale."""
    fake = tmp_path / "indicator-dictionary.md"
    fake.write_text("hand-edited\n", encoding="utf-8")
    real_targets = generate.targets()
    page = next(make for p, make in real_targets.items() if p.name == "indicator-dictionary.md")
    monkeypatch.setattr(generate, "targets", lambda: {fake: page})
    assert generate.stale_files() == [fake]


def test_seed_has_one_row_per_indicator() -> None:
    lines = (REPO / "seeds" / "indicator_dictionary.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(load_dictionary())
