"""Generate every derived description of the indicators from ``dictionary.yml``.

Run ``uv run python -m dagster_project.indicators.generate`` after editing the
dictionary (or contract.CODE_LABELS, customer_ops.CODE_LABELS); ``--check`` exits
non-zero when a committed file is stale (the unit tests run the same check).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

from dagster_project import contract, customer_ops
from dagster_project.indicators import AREA_NAMES_ZH, Indicator, load_dictionary

REPO = Path(__file__).resolve().parents[2]
HEADER_NOTE = "generated from dagster_project/indicators/dictionary.yml; do not edit"
# Data tests of date-keyed models look at the dates being built only (dbt_build
# sets the window; macros/build_window.sql puts its first date in for __test_from_date__),
# so a night's tests do not rescan the whole history.
TEST_WINDOW = '"biz_date >= __test_from_date__"'


def _csv(rows: list[list[object]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def indicator_dictionary_csv(items: tuple[Indicator, ...]) -> str:
    """Seed behind the published ``indicator_dictionary`` table."""
    rows: list[list[object]] = [[
        "indicator_code", "name_zh", "name_en", "area", "area_zh", "definition", "unit",
        "grains", "direction", "format", "sort_order",
    ]]
    for n, i in enumerate(items, start=1):
        rows.append([i.code, i.name_zh, i.name_en, i.area, AREA_NAMES_ZH[i.area], i.definition,
                     i.unit, ",".join(i.grains), i.direction, i.format, n])
    return _csv(rows)


def code_labels_csv() -> str:
    """Seed of every §4/§5 code list with its Chinese label (from contract.CODE_LABELS),
    then the customer-operations lists (customer_ops.CODE_LABELS: tags, events, reasons)."""
    rows: list[list[object]] = [["list_name", "code", "label"]]
    for list_name, labels in [*contract.CODE_LABELS.items(), *customer_ops.CODE_LABELS.items()]:
        for code, label in labels.items():
            rows.append([list_name, code, label])
    return _csv(rows)


def dbt_docs_blocks(items: tuple[Indicator, ...]) -> str:
    """dbt docs blocks ``{% docs ind_<code> %}`` used by the indicator models' YAML."""
    out = [f"{{# {HEADER_NOTE} #}}\n"]
    for i in items:
        out.append(
            f"{{% docs ind_{i.column_name} %}}\n"
            f"{i.name_zh} ({i.name_en}), {i.unit}: {i.definition} "
            f"Aggregation in the semantic layer: {i.aggregation} ({i.measure}"
            f"{' / ' + i.over if i.over else ''}) over the {i.fact} serving fact.\n"
            f"{{% enddocs %}}\n"
        )
    return "\n".join(out)


def dbt_codes_macro(items: tuple[Indicator, ...]) -> str:
    """Macros listing the codes per grain, so the store's unpivot follows the dictionary."""
    def codes(grain: str) -> str:
        return ", ".join(f"'{i.code}'" for i in items if grain in i.grains)

    return (
        f"{{# {HEADER_NOTE} #}}\n"
        "{% macro org_indicator_codes() %}{{ return([" + codes("org") + "]) }}{% endmacro %}\n"
        "{% macro mgr_indicator_codes() %}{{ return([" + codes("mgr") + "]) }}{% endmacro %}\n"
    )


def _model_yaml(name: str, description: str, key: list[str],
                columns: list[tuple[str, str]]) -> list[str]:
    out = [f"  - name: {name}", "    description: >", f"      {description}",
           "    data_tests:", "      - unique_combination:", "          arguments:",
           f"            columns: [{', '.join(key)}]", "          config:",
           f"            where: {TEST_WINDOW}", "    columns:"]
    for col, desc in columns:
        out.append(f"      - name: {col}")
        out.append(f"        description: {desc}")
        if col in key:
            out.append("        data_tests: [not_null]")
    return out


def dbt_models_yaml(items: tuple[Indicator, ...]) -> str:
    """YAML of the indicator-store models: descriptions from the docs blocks, grain tests."""
    org = [i for i in items if "org" in i.grains]
    mgr = [i for i in items if "mgr" in i.grains]

    def doc(i: Indicator) -> str:
        return f"\"{{{{ doc('ind_{i.column_name}') }}}}\""

    def codes_test(grain_items: list[Indicator]) -> list[str]:
        vals = ", ".join(i.code for i in grain_items)
        return ["        data_tests:", "          - not_null",
                "          - accepted_values:", "              arguments:",
                f"                values: [{vals}]"]

    lines = [f"# {HEADER_NOTE}", "version: 2", "", "models:"]
    org_cols = [(i.column_name, doc(i)) for i in org]
    mgr_cols = [(i.column_name, doc(i)) for i in mgr]
    lines += _model_yaml(
        "fct_org_indicators_daily",
        "Every org-grain indicator of indicators.md, one column per code, for every "
        "org with status 1 on D (the formulas of the published store).",
        ["biz_date", "org_no"],
        [("biz_date", "\"business date D\""), ("org_no", "\"org with status 1 on D\""),
         ("org_level", "\"1 省联社, 2 法人行社, 3 支行, 4 网点\"")] + org_cols)
    lines += _model_yaml(
        "fct_mgr_indicators_daily",
        "Every manager-grain indicator, one column per code, for every manager with status 1 on D.",
        ["biz_date", "mgr_no"],
        [("biz_date", "\"business date D\""), ("mgr_no", "\"manager with status 1 on D\""),
         ("org_no", "\"the manager's org on D\"")] + mgr_cols)
    lines += _model_yaml(
        "indicator_value",
        "The published org-grain indicator store: one row per business date, org with "
        "status 1 on that date (all four levels) and org-grain code; value NULL when undefined.",
        ["biz_date", "org_no", "indicator_code"],
        [("biz_date", "\"business date D\""), ("org_no", "\"org with status 1 on D\""),
         ("indicator_code", "\"code of indicators.md (see indicator_dictionary)\""),
         ("value", "\"CNY yuan for amounts, a fraction for ratios; NULL when undefined\"")])
    lines[-3:-3] = []
    idx = lines.index("      - name: indicator_code", lines.index("  - name: indicator_value"))
    lines[idx + 2:idx + 3] = codes_test(org)
    lines += _model_yaml(
        "mgr_indicator_value",
        "The published manager-grain indicator store: one row per business date, manager "
        "with status 1 on that date and manager-grain code; value NULL when undefined.",
        ["biz_date", "mgr_no", "indicator_code"],
        [("biz_date", "\"business date D\""), ("mgr_no", "\"manager with status 1 on D\""),
         ("indicator_code", "\"manager-grain code of indicators.md\""),
         ("value", "\"CNY yuan for amounts, a fraction for ratios; NULL when undefined\"")])
    idx = lines.index("      - name: indicator_code", lines.index("  - name: mgr_indicator_value"))
    lines[idx + 2:idx + 3] = codes_test(mgr)
    lines += _model_yaml(
        "org_indicator_wide",
        "Pivot of indicator_value (one column per code, lower-case) with the org path "
        "lvl2/3/4_org_name for three cascading dashboard filters (全部 below the org's level).",
        ["biz_date", "org_no"],
        [("biz_date", "\"business date D\""), ("org_no", "\"org with status 1 on D\""),
         ("org_name", "\"org name on D\""), ("org_level", "\"1-4\""),
         ("lvl2_org_name", "\"legal entity of the org, or 全部 for the province\""),
         ("lvl3_org_name", "\"sub-branch of the org, or 全部 above / where the tree skips it\""),
         ("lvl4_org_name", "\"the outlet itself, or 全部 above level 4\"")] + org_cols)
    lines += _model_yaml(
        "mgr_indicator_wide",
        "Pivot of mgr_indicator_value (one column per code, lower-case) with the manager's "
        "name, post and org path on D.",
        ["biz_date", "mgr_no"],
        [("biz_date", "\"business date D\""), ("mgr_no", "\"manager with status 1 on D\""),
         ("mgr_name", "\"manager name (not PII per the contract)\"")] + mgr_cols)
    return "\n".join(lines) + "\n"


def markdown_page(items: tuple[Indicator, ...]) -> str:
    """The 指标字典 page, ``docs/indicator-dictionary.md``."""
    from dagster_project.indicators import load_measures
    from dagster_project.superset.metrics import variants

    agg_zh = {"additive": "可加 SUM", "ratio": "比率 Σ/Σ", "distinct": "去重户数",
              "flag": "判定（限一级）"}
    lines = [
        "# 指标字典 Indicator dictionary",
        "",
        f"<!-- {HEADER_NOTE} -->",
        "",
        "Definitions of every published indicator (indicators.md, version 1). Values are in",
        "`indicator_value` (org grain) and `mgr_indicator_value` (manager grain) of the",
        "serving database; amounts are CNY yuan, ratios are fractions.",
        "Direction: ↑ higher is better, ↓ higher is worse.",
        "",
        "**Aggregation** is how the Superset metric regroups it over the leaf-grain serving",
        "tables (docs/marts.md \"Serving tables\"): 可加 = SUM of parts; 比率 = ratio of sums;",
        "去重户数 = COUNT(DISTINCT customer); 判定 = defined only for one org of its level",
        "(两增: one 法人行社) and NULL under any other grouping. **Metrics** are the saved",
        "Superset metrics generated from the entry: the published unit, plus 万元 / 亿元 for",
        "money (cards 亿元 at bank level and above, 万元 below) and 个百分点 for a ratio change.",
        "",
    ]
    for area, area_zh in AREA_NAMES_ZH.items():
        lines += [f"## {area_zh} ({area})", "",
                  "| code | 名称 | name | unit | grain | dir | aggregation | metrics "
                  "| definition |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for i in items:
            if i.area != area:
                continue
            arrow = "↑" if i.direction == "good" else "↓"
            shown = ", ".join(f"`{v.name}` {v.title} `{v.d3format}`" for v in variants(i))
            lines.append(
                f"| `{i.code}` | {i.name_zh} | {i.name_en} | {i.unit} | {', '.join(i.grains)} "
                f"| {arrow} | {agg_zh[i.aggregation]} | {shown} "
                f"| {i.definition.replace('|', '/')} |"
            )
        lines.append("")
    lines += ["## 明细度量 Display measures", "",
              "Counts and sums of the dashboard detail tables; not indicators of indicators.md.",
              "", "| metric | 名称 | unit | format | table | description |",
              "| --- | --- | --- | --- | --- | --- |"]
    for m in load_measures():
        lines.append(f"| `{m.column_name}` | {m.name_zh} | {m.unit} | `{m.format}` "
                     f"| `{m.table}` | {m.description} |")
    lines.append("")
    return "\n".join(lines)


def targets() -> dict[Path, Callable[[], str]]:
    items = load_dictionary()
    return {
        REPO / "seeds" / "indicator_dictionary.csv": lambda: indicator_dictionary_csv(items),
        REPO / "seeds" / "code_labels.csv": code_labels_csv,
        REPO / "dbt" / "models" / "marts" / "indicators" / "_indicators__docs.md":
            lambda: dbt_docs_blocks(items),
        REPO / "dbt" / "macros" / "indicator_codes.sql": lambda: dbt_codes_macro(items),
        REPO / "dbt" / "models" / "marts" / "indicators" / "_indicators__models.yml":
            lambda: dbt_models_yaml(items),
        REPO / "docs" / "indicator-dictionary.md": lambda: markdown_page(items),
    }


def stale_files() -> list[Path]:
    """Generated files whose content differs from what the dictionary gives now."""
    return [p for p, make in targets().items()
            if not p.exists() or p.read_text(encoding="utf-8") != make()]


def write_all() -> list[Path]:
    written = []
    for path, make in targets().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = make()
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_files()
        for p in stale:
            print(f"stale: {p.relative_to(REPO)}")
        return 1 if stale else 0
    for p in write_all():
        print(f"wrote {p.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
