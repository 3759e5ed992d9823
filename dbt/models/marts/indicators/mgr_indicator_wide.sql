{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# One row per (biz_date, active manager): every manager-grain indicator as a
   column (same values as mgr_indicator_value), with the manager's name, post and
   org path on D. No PII: the phone never leaves staging. #}
with

indicators as (

    select * from {{ ref('fct_mgr_indicators_daily') }}
    where biz_date >= {{ build_from_date() }}

),

managers as (

    select biz_date, mgr_no, mgr_name, post_type, post_type_label
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

paths as (

    select * from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        indicators.biz_date,
        indicators.mgr_no,
        managers.mgr_name,
        managers.post_type,
        managers.post_type_label,
        indicators.org_no,
        paths.org_name,
        paths.lvl2_org_name,
        paths.lvl3_org_name,
        paths.lvl4_org_name,
        paths.lvl2_org_no,
        paths.lvl3_org_no,
        {% for code in mgr_indicator_codes() %}
        indicators.{{ code | lower }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from indicators
    inner join managers
        on managers.biz_date = indicators.biz_date and managers.mgr_no = indicators.mgr_no
    left join paths on paths.biz_date = indicators.biz_date and paths.org_no = indicators.org_no

)

select * from final
