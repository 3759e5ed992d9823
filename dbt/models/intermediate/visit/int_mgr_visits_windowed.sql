{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Visit counts per visiting manager (VISIT_LOG.mgr_no) for the day, month to
    date and year to date of each business date D (indicators.md "Customer-manager
    visits"): VISIT_LOG rows of D / from the 1st of D's month / from 1 January. #}
with

target_dates as (

    select biz_date, year_start_date, month_start_date
    from {{ ref('int_loaded_dates') }}
    where biz_date >= {{ build_from_date() }}

),

visits_daily as (

    select
        biz_date,
        mgr_no,
        count(*) as visit_cnt,
        sum(case when outcome in ('3', '4') then 1 else 0 end) as converted_cnt,
        sum(satisfaction) as satisfaction_sum,
        count(satisfaction) as satisfaction_cnt
    from {{ ref('stg_t1__visits') }}
    where biz_date >= {{ year_start(build_from_date()) }}
    group by biz_date, mgr_no

),

final as (

    select
        target_dates.biz_date,
        visits_daily.mgr_no,
        sum(case when visits_daily.biz_date = target_dates.biz_date
                 then visits_daily.visit_cnt else 0 end) as visit_cnt_d,
        sum(case when visits_daily.biz_date >= target_dates.month_start_date
                 then visits_daily.visit_cnt else 0 end) as visit_cnt_mtd,
        sum(visits_daily.visit_cnt) as visit_cnt_ytd,
        sum(case when visits_daily.biz_date >= target_dates.month_start_date
                 then visits_daily.converted_cnt else 0 end) as visit_conv_cnt_mtd,
        sum(case when visits_daily.biz_date >= target_dates.month_start_date
                 then visits_daily.satisfaction_sum else 0 end) as satisfaction_sum_mtd,
        sum(case when visits_daily.biz_date >= target_dates.month_start_date
                 then visits_daily.satisfaction_cnt else 0 end) as satisfaction_cnt_mtd
    from target_dates
    inner join visits_daily
        on visits_daily.biz_date between target_dates.year_start_date and target_dates.biz_date
    group by target_dates.biz_date, visits_daily.mgr_no

)

select * from final
