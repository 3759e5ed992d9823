{#- First business date this run (re)computes, as a SQL date expression.

    Incremental models are keyed by biz_date (delete+insert). A normal night
    builds only the dates not in the model yet; var from_date (set by
    dagster_project.dbt_build.build for a re-delivered date) rebuilds that date
    and every later one, because MTD/YTD/日均 of later dates read its daily values
    (indicators.md "Daily averages", "Period starts"). A full refresh builds all. -#}
{% macro build_from_date() -%}
    {%- if not is_incremental() -%}
        cast('1900-01-01' as date)
    {%- elif var('from_date', none) -%}
        cast('{{ var("from_date") }}' as date)
    {%- else -%}
        (select coalesce(min(loaded.biz_date), cast('9999-12-31' as date))
           from {{ ref('int_loaded_dates') }} as loaded
          where loaded.biz_date not in (select distinct built.biz_date from {{ this }} as built))
    {%- endif -%}
{%- endmacro %}

{#- Portable period helpers (dbt cross-database macros; indicators.md "Period starts"). -#}
{% macro year_start(date_expr) -%}
    cast({{ dbt.date_trunc('year', date_expr) }} as date)
{%- endmacro %}

{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
    {#- indicators.md: a ratio whose denominator is 0 or NULL is NULL. -#}
    (cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0))
{%- endmacro %}

{#- The loaded date before build_from_date() (the previous date P of the first date
    being built), or build_from_date() itself when none is loaded before it: where a
    model that compares D with P starts reading (customer-ops.md §1 "Previous date P"). -#}
{% macro build_previous_date() -%}
    coalesce(
        (select max(loaded.biz_date) from {{ ref('int_loaded_dates') }} as loaded
         where loaded.biz_date < {{ build_from_date() }}),
        {{ build_from_date() }})
{%- endmacro %}
