{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Manager-grain indicators (indicators.md "Manager grain"), one column per code
    (lower-case), for every manager with status 1 on D. Same definitions as the
    org grain; mgr_indicator_value unpivots this table. #}
with

{{ daily_history_ctes(ref('int_mgr_measures_daily'), 'mgr_no', 'mgr_status') }},

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
