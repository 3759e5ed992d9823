{#- The drill path 法人行社 / 支行 / 网点 of a serving row's own org (int_org_paths of
    the row's date). A level the org sits above shows as （本级） under its parent, so
    a group-by never shows a blank and never a 全部 row: 全部 is what no filter means.
    The province itself (level 1) has no 法人行社: its own records show as 省联社本级. -#}
{% macro org_path_names(rel) -%}
    coalesce({{ rel }}.lvl2_org_name, '（省联社本级）') as lvl2_org_name,
        case when {{ rel }}.lvl3_org_name is not null then {{ rel }}.lvl3_org_name
             when {{ rel }}.org_level >= 2 then '（本级）' end as lvl3_org_name,
        case when {{ rel }}.lvl4_org_name is not null then {{ rel }}.lvl4_org_name
             when {{ rel }}.org_level >= 2 then '（本级）' end as lvl4_org_name
{%- endmacro %}
