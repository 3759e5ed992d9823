{#- First business date this run (re)computes, as a SQL date literal.

    Incremental models are keyed by biz_date (delete+insert). A normal night
    builds only the dates not in the model yet; the window's from_date
    (window_date('from_date'), macros/build_window.sql: set for a re-delivered
    date) rebuilds that date
    and every later one, because MTD/YTD/日均 of later dates read its daily values
    (indicators.md "Daily averages", "Period starts"). A full refresh builds all.

    Always a literal, never a subquery: the full raw tables are views over their
    versions (docs/architecture.md "Raw layer"), and DuckDB pushes a constant
    `biz_date >= DATE '…'` into the view's date side, so a night expands only the
    dates it builds. A scalar subquery there is planned as a join after the view
    is expanded for every loaded date, and a night would grow with history. -#}
{% macro build_from_date() -%}
    {%- if not is_incremental() -%}
        cast('1900-01-01' as date)
    {%- elif window_date('from_date') -%}
        cast('{{ window_date("from_date") }}' as date)
    {%- elif execute -%}
        cast('{{ first_unbuilt_date(this) }}' as date)
    {%- else -%}
        {#- parse time: dbt renders the model once without running queries -#}
        cast('9999-12-31' as date)
    {%- endif -%}
{%- endmacro %}

{#- The earliest loaded date not yet in `relation` ('9999-12-31' when every one is),
    read when the model is compiled, just before it runs. -#}
{% macro first_unbuilt_date(relation) -%}
    {%- set query -%}
        select strftime(coalesce(min(loaded.biz_date), cast('9999-12-31' as date)), '%Y-%m-%d')
        from {{ ref('int_loaded_dates') }} as loaded
        where loaded.biz_date not in (select distinct built.biz_date from {{ relation }} as built)
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0]) -}}
{%- endmacro %}

{#- The latest loaded date before `date_expr` (a literal from build_from_date()), as a
    literal: the previous loaded date P of the first date built, whose values some
    models compare with. '1900-01-01' when there is none, and in a build of every date
    (no query then: a dbt unit test has no int_loaded_dates table to ask). -#}
{% macro loaded_date_before(date_expr) -%}
    {%- if execute and is_incremental() -%}
        {%- set query -%}
            select strftime(coalesce(max(loaded.biz_date), cast('1900-01-01' as date)), '%Y-%m-%d')
            from {{ ref('int_loaded_dates') }} as loaded
            where loaded.biz_date < {{ date_expr }}
        {%- endset -%}
        cast('{{ run_query(query).columns[0].values()[0] }}' as date)
    {%- else -%}
        cast('1900-01-01' as date)
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

{#- `col` is a date this run builds or the year start (31 Dec before) of the first of
    them: the dates a model reading D and D's year-start values needs, as constants
    DuckDB pushes into the raw views (build_from_date()). Later dates' year starts
    are on or after the first date built, so they are in the range already. -#}
{% macro build_dates_and_year_start(col) -%}
    ({{ col }} >= {{ build_from_date() }}
     or {{ col }} = cast({{ dbt.dateadd('day', -1, year_start(build_from_date())) }} as date))
{%- endmacro %}

{#- The latest loaded business date as a literal (the dims show the latest state). -#}
{% macro latest_loaded_date() -%}
    {%- if execute -%}
        {%- set query -%}
            select strftime(coalesce(max(biz_date), cast('1900-01-01' as date)), '%Y-%m-%d')
            from {{ ref('int_loaded_dates') }}
        {%- endset -%}
        cast('{{ run_query(query).columns[0].values()[0] }}' as date)
    {%- else -%}
        cast('1900-01-01' as date)
    {%- endif -%}
{%- endmacro %}
