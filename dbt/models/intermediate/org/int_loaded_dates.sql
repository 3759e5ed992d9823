{# The loaded business dates and their period anchors. A date counts as loaded
    when its ORG_INFO snapshot is in raw (every delivery carries ORG_INFO). #}
with

orgs as (

    select distinct biz_date from {{ ref('stg_t1__orgs') }}

),

anchored as (

    select
        biz_date,
        {{ year_start('biz_date') }} as year_start_date,
        {{ month_start('biz_date') }} as month_start_date,
        -- indicators.md: year start = 31 Dec of the previous year,
        -- month start = last day of the previous month
        cast({{ dbt.dateadd('day', -1, year_start('biz_date')) }} as date) as prev_year_end_date,
        cast({{ dbt.dateadd('day', -1, month_start('biz_date')) }} as date) as prev_month_end_date
    from orgs

),

final as (

    select
        anchored.biz_date,
        anchored.year_start_date,
        anchored.month_start_date,
        anchored.prev_year_end_date,
        anchored.prev_month_end_date,
        anchored.prev_year_end_date in (select orgs.biz_date from orgs) as is_prev_year_end_loaded,
        anchored.prev_month_end_date in (select orgs.biz_date from orgs) as is_prev_month_end_loaded,
        -- 日均 divides by the loaded days of the period up to D
        count(*) over (
            partition by anchored.year_start_date order by anchored.biz_date
            rows between unbounded preceding and current row
        ) as loaded_days_ytd,
        count(*) over (
            partition by anchored.month_start_date order by anchored.biz_date
            rows between unbounded preceding and current row
        ) as loaded_days_mtd
    from anchored

)

select * from final
