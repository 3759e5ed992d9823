{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Business early warnings (经营预警, issue 16): one row per firing of a rule of the
   seed warning_rules on D. The seed holds each rule's threshold, severity and
   recipients so a bank tunes them without code; the conditions are below, one CTE
   per rule. Ratios are rounded to 6 decimals before they are compared, so a move of
   exactly the threshold ("more than 5 %") stays silent instead of firing on a
   floating-point remainder. Org figures are the published store's own
   (org_indicator_wide); a changed threshold applies to the dates built after it. #}
with

rules as (

    select * from {{ ref('warning_rules') }}
    where is_enabled = 1

),

loaded_dates as (

    select
        biz_date,
        prev_month_end_date,
        is_prev_month_end_loaded,
        lag(biz_date) over (order by biz_date) as prev_biz_date,
        min(biz_date) over () as first_loaded_date
    from {{ ref('int_loaded_dates') }}

),

org_days as (

    select
        biz_date,
        org_no,
        org_level,
        dep_bal,
        dep_bal_mtd_chg,
        npl_ratio,
        two_increase_met,
        visit_cnt_d,
        -- visits roll up by the visiting manager's org (indicators.md), so this is
        -- the last loaded date on which anyone in the org's subtree visited
        max(case when visit_cnt_d > 0 then biz_date end) over (
            partition by org_no order by biz_date
            rows between unbounded preceding and current row
        ) as last_visit_date
    from {{ ref('org_indicator_wide') }}

),

paths as (

    select biz_date, org_no, org_name, org_level, lvl2_org_no, lvl2_org_name, lvl3_org_no,
        lvl3_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

targets as (

    select
        org_days.*,
        loaded_dates.prev_biz_date,
        loaded_dates.first_loaded_date,
        previous.dep_bal as prev_dep_bal,
        previous.two_increase_met as prev_two_increase_met,
        -- month start = the last day of the previous month, when loaded (indicators.md)
        case when loaded_dates.is_prev_month_end_loaded then month_start.npl_ratio end
            as month_start_npl_ratio
    from org_days
    inner join loaded_dates on loaded_dates.biz_date = org_days.biz_date
    left join org_days as previous
        on previous.biz_date = loaded_dates.prev_biz_date and previous.org_no = org_days.org_no
    left join org_days as month_start
        on month_start.biz_date = loaded_dates.prev_month_end_date
        and month_start.org_no = org_days.org_no
    where org_days.biz_date >= {{ build_from_date() }}

),

dep_drop_dod as (

    -- an outlet's 各项存款 down more than the threshold on the previous loaded date
    select targets.biz_date, rules.rule_code, targets.org_no, cast(null as varchar) as subject_no,
        round(targets.dep_bal / targets.prev_dep_bal - 1, 6) as value
    from targets
    inner join rules on rules.rule_code = 'DEP_DROP_DOD'
    where targets.org_level = 4 and targets.prev_dep_bal > 0
        and round(targets.dep_bal / targets.prev_dep_bal - 1, 6) < -rules.threshold

),

dep_drop_mtd as (

    -- DEP_BAL_MTD_CHG is NULL when the month start is not loaded: no judgement then
    select targets.biz_date, rules.rule_code, targets.org_no, cast(null as varchar) as subject_no,
        round(targets.dep_bal_mtd_chg / (targets.dep_bal - targets.dep_bal_mtd_chg), 6) as value
    from targets
    inner join rules on rules.rule_code = 'DEP_DROP_MTD'
    where targets.org_level = 4 and targets.dep_bal - targets.dep_bal_mtd_chg > 0
        and round(targets.dep_bal_mtd_chg / (targets.dep_bal - targets.dep_bal_mtd_chg), 6)
            < -rules.threshold

),

npl_up_mtd as (

    -- percentage points as a fraction: 0.005 = 0.5 个百分点
    select targets.biz_date, rules.rule_code, targets.org_no, cast(null as varchar) as subject_no,
        round(targets.npl_ratio - targets.month_start_npl_ratio, 6) as value
    from targets
    inner join rules on rules.rule_code = 'NPL_UP_MTD'
    where targets.org_level = 2
        and round(targets.npl_ratio - targets.month_start_npl_ratio, 6) > rules.threshold

),

two_increase_lost as (

    select targets.biz_date, rules.rule_code, targets.org_no, cast(null as varchar) as subject_no,
        cast(targets.two_increase_met as double) as value
    from targets
    inner join rules on rules.rule_code = 'TWO_INCREASE_LOST'
    where targets.org_level = 2 and targets.prev_two_increase_met = 1
        and targets.two_increase_met = 0

),

no_visit as (

    -- days since the last visit; never visited counts from before the first loaded
    -- date, and nothing is judged until the window itself has been loaded
    select targets.biz_date, rules.rule_code, targets.org_no, cast(null as varchar) as subject_no,
        cast(date_diff('day', coalesce(targets.last_visit_date,
            cast(targets.first_loaded_date - interval 1 day as date)), targets.biz_date) as double)
            as value
    from targets
    inner join rules on rules.rule_code = 'NO_VISIT_7D'
    where date_diff('day', targets.first_loaded_date, targets.biz_date) + 1 >= rules.threshold
        and date_diff('day', coalesce(targets.last_visit_date,
            cast(targets.first_loaded_date - interval 1 day as date)), targets.biz_date)
            >= rules.threshold

),

outflows as (

    select * from {{ ref('int_customer_outflows_daily') }}
    where biz_date >= {{ build_from_date() }}

),

big_outflow as (

    -- customer-ops.md §4 BIG_OUTFLOW: debits on D ≥ the amount and ≥ 50 % of the
    -- customer's dep_bal on P (holds when there is no P or it was 0); the 50 % is the
    -- contract's, the amount the seed's
    select outflows.biz_date, rules.rule_code, outflows.org_no, outflows.cust_no as subject_no,
        cast(outflows.debit_cny as double) as value
    from outflows
    inner join rules on rules.rule_code = 'BIG_OUTFLOW'
    where outflows.org_no is not null
        and outflows.debit_cny >= rules.threshold
        and (outflows.prev_dep_bal_cny = 0 or outflows.debit_cny >= 0.5 * outflows.prev_dep_bal_cny)

),

policies as (

    select biz_date, policy_no, org_no, is_in_grace
    from {{ ref('int_policies_assessed') }}
    where biz_date >= {{ loaded_date_before(build_from_date()) }}

),

entering_grace as (

    -- in 宽限期 on D and not on P (absent on P, or no P, counts as not in grace)
    select policies.biz_date, policies.org_no, count(*) as policy_cnt
    from policies
    inner join loaded_dates on loaded_dates.biz_date = policies.biz_date
    left join policies as previous
        on previous.biz_date = loaded_dates.prev_biz_date
        and previous.policy_no = policies.policy_no
    where policies.biz_date >= {{ build_from_date() }} and policies.is_in_grace
        and coalesce(previous.is_in_grace, false) = false
    group by policies.biz_date, policies.org_no

),

policy_grace_new as (

    select entering_grace.biz_date, rules.rule_code, entering_grace.org_no,
        cast(null as varchar) as subject_no, cast(entering_grace.policy_cnt as double) as value
    from entering_grace
    inner join rules on rules.rule_code = 'POLICY_GRACE_NEW'
    where entering_grace.policy_cnt >= rules.threshold

),

firings as (

    select * from dep_drop_dod
    union all select * from dep_drop_mtd
    union all select * from npl_up_mtd
    union all select * from two_increase_lost
    union all select * from no_visit
    union all select * from big_outflow
    union all select * from policy_grace_new

),

final as (

    select
        firings.biz_date,
        firings.rule_code,
        rules.rule_name,
        rules.severity,
        firings.org_no,
        paths.org_name,
        paths.org_level,
        paths.lvl2_org_no,
        paths.lvl2_org_name,
        paths.lvl3_org_no,
        paths.lvl3_org_name,
        firings.subject_no,
        firings.value,
        rules.threshold,
        rules.recipients
    from firings
    inner join rules on rules.rule_code = firings.rule_code
    left join paths on paths.biz_date = firings.biz_date and paths.org_no = firings.org_no

)

select * from final
