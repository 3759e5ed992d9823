{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Manager-grain indicators (indicators.md "Manager grain"), one column per code
    (lower-case), for every manager with status 1 on D. Same definitions as the
    org grain; mgr_indicator_value unpivots this table. #}
with

loaded_dates as (

    select * from {{ ref('int_loaded_dates') }}

),

measures as (

    select * from {{ ref('int_mgr_measures_daily') }}

),

history as (

    select measures.*, loaded_dates.year_start_date, loaded_dates.month_start_date
    from measures
    inner join loaded_dates on loaded_dates.biz_date = measures.biz_date
    where measures.biz_date >= {{ year_start(build_from_date()) }}

),

accumulated as (

    -- 积数 over the loaded days of the year / month (a day without the manager adds 0)
    select
        history.*,
        sum(history.dep_bal) over (
            partition by history.mgr_no, history.year_start_date order by history.biz_date
            rows between unbounded preceding and current row
        ) as dep_bal_acc_ytd,
        sum(history.dep_bal) over (
            partition by history.mgr_no, history.month_start_date order by history.biz_date
            rows between unbounded preceding and current row
        ) as dep_bal_acc_mtd
    from history

),

targets as (

    select accumulated.*
    from accumulated
    where accumulated.biz_date >= {{ build_from_date() }} and accumulated.mgr_status = '1'

),

with_period_starts as (

    select
        targets.*,
        loaded_dates.loaded_days_ytd,
        loaded_dates.loaded_days_mtd,
        -- NULL when 31 Dec is not loaded; 0 for a manager absent on that loaded date
        case when loaded_dates.is_prev_year_end_loaded then coalesce(year_start.dep_bal, 0) end
            as ys_dep_bal
    from targets
    inner join loaded_dates on loaded_dates.biz_date = targets.biz_date
    left join measures as year_start
        on year_start.biz_date = loaded_dates.prev_year_end_date
        and year_start.mgr_no = targets.mgr_no

),

final as (

    select
        biz_date,
        mgr_no,
        org_no,
        cast(dep_bal as double) as dep_bal,
        cast(dep_bal - ys_dep_bal as double) as dep_bal_ytd_chg,
        {{ safe_divide('dep_bal_acc_mtd', 'loaded_days_mtd') }} as dep_davg_mtd,
        {{ safe_divide('dep_bal_acc_ytd', 'loaded_days_ytd') }} as dep_davg_ytd,
        cast(loan_bal as double) as loan_bal,
        cast(npl_bal as double) as npl_bal,
        {{ safe_divide('npl_bal', 'loan_bal') }} as npl_ratio,
        cast(incl_bal as double) as incl_bal,
        cast(incl_cust_cnt as double) as incl_cust_cnt,
        cast(visit_cnt_mtd as double) as visit_cnt_mtd,
        {{ safe_divide('visit_conv_cnt_mtd', 'visit_cnt_mtd') }} as visit_conv_mtd
    from with_period_starts

)

select * from final
