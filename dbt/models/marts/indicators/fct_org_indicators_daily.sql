{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Every org-grain indicator of indicators.md, one column per code (lower-case),
    for every org with status 1 on D. The formulas of the published store live
    here and only here; indicator_value unpivots this table. #}
with

{{ daily_history_ctes(ref('int_org_measures_daily'), 'org_no', 'org_status') }},

with_period_starts as (

    -- indicators.md "Period starts": the value on 31 Dec of the previous year /
    -- the last day of the previous month; NULL when that date is not loaded,
    -- 0 for an org that did not exist on a loaded period-start date
    select
        targets.*,
        loaded_dates.loaded_days_ytd,
        loaded_dates.loaded_days_mtd,
        case when loaded_dates.is_prev_year_end_loaded then coalesce(year_start.dep_bal, 0) end
            as ys_dep_bal,
        case when loaded_dates.is_prev_month_end_loaded then coalesce(month_start.dep_bal, 0) end
            as ms_dep_bal,
        case when loaded_dates.is_prev_year_end_loaded then coalesce(year_start.loan_bal, 0) end
            as ys_loan_bal,
        case when loaded_dates.is_prev_year_end_loaded then coalesce(year_start.incl_bal, 0) end
            as ys_incl_bal,
        case when loaded_dates.is_prev_year_end_loaded
             then coalesce(year_start.incl_cust_cnt, 0) end as ys_incl_cust_cnt,
        -- NPL_RATIO(year start): for an org that did not exist on the loaded 31 Dec
        -- the value itself is 0 (indicators.md "Empty sets"), not 0/0
        case
            when not loaded_dates.is_prev_year_end_loaded then null
            when year_start.org_no is null then 0.0
            else {{ safe_divide('year_start.npl_bal', 'year_start.loan_bal') }}
        end as ys_npl_ratio
    from targets
    inner join loaded_dates on loaded_dates.biz_date = targets.biz_date
    left join measures as year_start
        on year_start.biz_date = loaded_dates.prev_year_end_date
        and year_start.org_no = targets.org_no
    left join measures as month_start
        on month_start.biz_date = loaded_dates.prev_month_end_date
        and month_start.org_no = targets.org_no

),

indicators as (

    select
        biz_date,
        org_no,
        org_level,
        -- 存款
        cast(dep_bal as double) as dep_bal,
        cast(dep_bal_personal as double) as dep_bal_personal,
        cast(dep_bal_corp as double) as dep_bal_corp,
        cast(dep_bal_demand as double) as dep_bal_demand,
        cast(dep_bal - ys_dep_bal as double) as dep_bal_ytd_chg,
        cast(dep_bal - ms_dep_bal as double) as dep_bal_mtd_chg,
        {{ safe_divide('dep_bal_acc_mtd', 'loaded_days_mtd') }} as dep_davg_mtd,
        {{ safe_divide('dep_bal_acc_ytd', 'loaded_days_ytd') }} as dep_davg_ytd,
        -- 贷款与资产质量
        cast(loan_bal as double) as loan_bal,
        cast(loan_bal - ys_loan_bal as double) as loan_bal_ytd_chg,
        {{ safe_divide('loan_bal', 'ys_loan_bal') }} - 1 as loan_growth_ytd,
        cast(sm_bal as double) as sm_bal,
        cast(npl_bal as double) as npl_bal,
        {{ safe_divide('npl_bal', 'loan_bal') }} as npl_ratio,
        {{ safe_divide('npl_bal', 'loan_bal') }} - ys_npl_ratio as npl_ratio_ytd_chg,
        cast(ovd_bal as double) as ovd_bal,
        {{ safe_divide('ovd_bal', 'loan_bal') }} as ovd_ratio,
        cast(ovd90_bal as double) as ovd90_bal,
        {{ safe_divide('ovd90_bal', 'npl_bal') }} as npl_deviation,
        -- 普惠金融
        cast(incl_bal as double) as incl_bal,
        cast(incl_cust_cnt as double) as incl_cust_cnt,
        {{ safe_divide('incl_bal', 'loan_bal') }} as incl_share,
        cast(incl_bal - ys_incl_bal as double) as incl_bal_ytd_chg,
        {{ safe_divide('incl_bal', 'ys_incl_bal') }} - 1 as incl_growth_ytd,
        cast(incl_cust_cnt - ys_incl_cust_cnt as double) as incl_cust_ytd_chg,
        {{ safe_divide('incl_npl_bal', 'incl_bal') }} as incl_npl_ratio,
        cast(credit_cust_cnt as double) as credit_cust_cnt,
        {{ safe_divide('credit_used_cust_cnt', 'credit_cust_cnt') }} as credit_use_rate,
        cast(grid_hh_cnt as double) as grid_hh_cnt,
        {{ safe_divide('grid_credit_cust_cnt', 'grid_hh_cnt') }} as grid_credit_coverage,
        -- 走访
        cast(visit_cnt_d as double) as visit_cnt_d,
        cast(visit_cnt_mtd as double) as visit_cnt_mtd,
        cast(visit_cnt_ytd as double) as visit_cnt_ytd,
        cast(visit_cust_mtd as double) as visit_cust_mtd,
        {{ safe_divide('visit_cnt_mtd', 'active_mgr_cnt') }} as visit_per_mgr_mtd,
        {{ safe_divide('visit_conv_cnt_mtd', 'visit_cnt_mtd') }} as visit_conv_mtd,
        -- an average over no records is NULL
        {{ safe_divide('satisfaction_sum_mtd', 'satisfaction_cnt_mtd') }} as visit_satis_mtd,
        -- 保单失效
        cast(policy_inforce_cnt as double) as policy_inforce_cnt,
        cast(policy_grace_cnt as double) as policy_grace_cnt,
        cast(policy_lapsed_cnt as double) as policy_lapsed_cnt,
        {{ safe_divide('policy_lapsed_cnt', 'policy_inforce_cnt + policy_lapsed_cnt') }}
            as lapse_rate,
        {{ safe_divide('lapsed_annualised_premium', 'base_annualised_premium') }}
            as lapse_rate_prem,
        {{ safe_divide('policy_followed_up_cnt', 'policy_lapsed_cnt') }} as lapse_followup_rate,
        cast(renewal_due_30d as double) as renewal_due_30d
    from with_period_starts

),

final as (

    select
        indicators.*,
        -- 两增: NULL when either input is NULL
        case
            when incl_growth_ytd is null or loan_growth_ytd is null or incl_cust_ytd_chg is null
                then null
            when incl_growth_ytd >= loan_growth_ytd and incl_cust_ytd_chg >= 0 then 1.0
            else 0.0
        end as two_increase_met
    from indicators

)

select * from final
