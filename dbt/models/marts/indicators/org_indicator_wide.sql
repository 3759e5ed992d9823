{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# One row per (biz_date, active org): every org-grain indicator as a column
   (the same values as indicator_value), plus the cascading-filter path of
   architecture.md: lvlN_org_name is the org's ancestor at a level above its own,
   its own name at its own level, and 全部 below (and where the tree skips a level),
   so choosing the three filters picks exactly one row. #}
with

indicators as (

    select * from {{ ref('fct_org_indicators_daily') }}
    where biz_date >= {{ build_from_date() }}

),

paths as (

    select * from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        indicators.biz_date,
        indicators.org_no,
        paths.org_name,
        indicators.org_level,
        case when indicators.org_level >= 2 then coalesce(paths.lvl2_org_name, '全部') else '全部' end
            as lvl2_org_name,
        case when indicators.org_level >= 3 then coalesce(paths.lvl3_org_name, '全部') else '全部' end
            as lvl3_org_name,
        case when indicators.org_level >= 4 then coalesce(paths.lvl4_org_name, '全部') else '全部' end
            as lvl4_org_name,
        paths.lvl2_org_no,
        paths.lvl3_org_no,
        {% for code in org_indicator_codes() %}
        indicators.{{ code | lower }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from indicators
    inner join paths on paths.biz_date = indicators.biz_date and paths.org_no = indicators.org_no

)

select * from final
