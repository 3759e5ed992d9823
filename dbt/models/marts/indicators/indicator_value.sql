{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# The published org-grain indicator store (indicators.md "The published
    indicator store"): one row per date, active org and code, NULL when undefined.
    The codes come from the indicator dictionary (macros/indicator_codes.sql). #}
with

wide as (

    select * from {{ ref('fct_org_indicators_daily') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    {% for code in org_indicator_codes() %}
    select biz_date, org_no, '{{ code }}' as indicator_code, cast({{ code | lower }} as double) as value
    from wide
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
