{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 存款增长: each active org's DEP_BAL against month start, year start and the same
   day last year. Period starts follow indicators.md (NULL when that date is not
   loaded, 0 for an org absent on a loaded one); "same day last year" (not an
   indicators.md code) follows the same rule, and is NULL for 29 Feb. #}
with

indicators as (

    select biz_date, org_no, dep_bal, dep_bal_mtd_chg, dep_bal_ytd_chg, dep_davg_mtd, dep_davg_ytd
    from {{ ref('fct_org_indicators_daily') }}
    where biz_date >= {{ build_from_date() }}

),

loaded_dates as (

    select biz_date from {{ ref('int_loaded_dates') }}

),

measures as (

    select biz_date, org_no, dep_bal from {{ ref('int_org_measures_daily') }}

),

with_last_year as (

    select
        indicators.*,
        cast({{ dbt.dateadd('year', -1, 'indicators.biz_date') }} as date) as same_day_last_year
    from indicators

),

final as (

    select
        with_last_year.biz_date,
        with_last_year.org_no,
        with_last_year.dep_bal,
        with_last_year.dep_bal_mtd_chg,
        with_last_year.dep_bal_ytd_chg,
        with_last_year.dep_davg_mtd,
        with_last_year.dep_davg_ytd,
        with_last_year.same_day_last_year,
        case when loaded_dates.biz_date is not null and extract(day from with_last_year.biz_date)
                  = extract(day from with_last_year.same_day_last_year)
             then cast(coalesce(measures.dep_bal, 0) as double) end as dep_bal_last_year,
        case when loaded_dates.biz_date is not null and extract(day from with_last_year.biz_date)
                  = extract(day from with_last_year.same_day_last_year)
             then with_last_year.dep_bal - cast(coalesce(measures.dep_bal, 0) as double)
        end as dep_bal_yoy_chg
    from with_last_year
    left join loaded_dates on loaded_dates.biz_date = with_last_year.same_day_last_year
    left join measures
        on measures.biz_date = with_last_year.same_day_last_year
        and measures.org_no = with_last_year.org_no

)

select * from final
