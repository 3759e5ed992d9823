{#- indicators.md "The published indicator store", for a data test: every unit (org or
    manager) with status 1 on a loaded date has exactly `code_count` rows in `store`
    (NULL values included), and no other unit appears. Returns the offending
    (date, unit) pairs with their row count; only dates from test_from_date(). -#}
{% macro store_completeness(units, key, status, store, code_count) -%}
with

active_units as (

    select biz_date, {{ key }} from {{ units }}
    where {{ status }} = '1' and biz_date >= {{ test_from_date() }}

),

published as (

    select biz_date, {{ key }}, count(*) as row_count
    from {{ store }}
    where biz_date >= {{ test_from_date() }}
    group by biz_date, {{ key }}

),

final as (

    select
        coalesce(active_units.biz_date, published.biz_date) as biz_date,
        coalesce(active_units.{{ key }}, published.{{ key }}) as {{ key }},
        published.row_count
    from active_units
    full outer join published
        on published.biz_date = active_units.biz_date
        and published.{{ key }} = active_units.{{ key }}
    where published.row_count is distinct from {{ code_count }}
        or active_units.{{ key }} is null

)

select * from final
{%- endmacro %}
