{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# The published manager-grain indicator store: one row per date, active manager
    (status 1 on D) and manager-grain code, NULL when undefined. #}
with

wide as (

    select * from {{ ref('fct_mgr_indicators_daily') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    {% for code in mgr_indicator_codes() %}
    select biz_date, mgr_no, '{{ code }}' as indicator_code, cast({{ code | lower }} as double) as value
    from wide
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
