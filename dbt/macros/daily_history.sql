{#- The first CTEs of the two indicator tables (org and manager grain), written once:
    loaded_dates, measures, history (every loaded day of the years being built),
    accumulated (积数 of deposits over the loaded days of the year and of the month;
    a day on which the org or manager did not exist adds 0, indicators.md "Empty
    sets") and targets (the dates being built, units with status 1 on D).

    measures: the relation of daily measures (one row per biz_date and unit);
    key: the unit's column (org_no, mgr_no); status: its status column. -#}
{% macro daily_history_ctes(measures, key, status) -%}
loaded_dates as (

    select * from {{ ref('int_loaded_dates') }}

),

measures as (

    select * from {{ measures }}

),

history as (

    -- the daily values 日均 needs: every loaded day of the years being built
    select measures.*, loaded_dates.year_start_date, loaded_dates.month_start_date
    from measures
    inner join loaded_dates on loaded_dates.biz_date = measures.biz_date
    where measures.biz_date >= {{ year_start(build_from_date()) }}

),

accumulated as (

    -- 积数: accumulated daily balances over the loaded days of the year / month
    select
        history.*,
        sum(history.dep_bal) over (
            partition by history.{{ key }}, history.year_start_date order by history.biz_date
            rows between unbounded preceding and current row
        ) as dep_bal_acc_ytd,
        sum(history.dep_bal) over (
            partition by history.{{ key }}, history.month_start_date order by history.biz_date
            rows between unbounded preceding and current row
        ) as dep_bal_acc_mtd
    from history

),

targets as (

    select accumulated.*
    from accumulated
    where accumulated.biz_date >= {{ build_from_date() }} and accumulated.{{ status }} = '1'

)
{%- endmacro %}
