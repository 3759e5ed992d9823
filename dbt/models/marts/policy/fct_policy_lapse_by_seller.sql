{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 保单失效按销售人员: regular-premium policies (int_policies_assessed applies the
   lapse rules of indicators.md once: pay_freq 2/3 only, annualised premium x12
   for 月交) per org (rolled up the tree of D by INS_POLICY.org_no, like
   POLICY_LAPSED_CNT) and seller (INS_POLICY.seller_no = CUST_MGR.mgr_no, name
   as of D). Counts sum over sellers to POLICY_INFORCE_CNT / POLICY_LAPSED_CNT;
   the rates are those indicators' formulas at seller grain. #}
with

{{ org_tree_ctes() }},

policies as (

    select biz_date, org_no, coalesce(nullif(seller_no, ''), '未登记') as seller_no,
        annualised_premium, is_in_force, is_in_grace, is_lapsed, is_followed_up
    from {{ ref('int_policies_assessed') }}
    where biz_date >= {{ build_from_date() }}

),

managers as (

    select biz_date, mgr_no, mgr_name from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

rolled_up as (

    select
        policies.biz_date,
        closure.ancestor_org_no as org_no,
        policies.seller_no,
        count(case when policies.is_in_force then 1 end) as inforce_cnt,
        count(case when policies.is_in_grace then 1 end) as grace_cnt,
        count(case when policies.is_lapsed then 1 end) as lapsed_cnt,
        count(case when policies.is_followed_up then 1 end) as followed_up_cnt,
        sum(case when policies.is_lapsed then policies.annualised_premium else 0 end)
            as lapsed_annualised_premium,
        -- LAPSE_RATE_PREM denominator: status 1, 2, 3, 4 = in force or lapsed
        sum(case when policies.is_in_force or policies.is_lapsed
                 then policies.annualised_premium else 0 end) as assessed_annualised_premium
    from policies
    inner join closure on closure.biz_date = policies.biz_date and closure.org_no = policies.org_no
    inner join active_orgs
        on active_orgs.biz_date = closure.biz_date and active_orgs.org_no = closure.ancestor_org_no
    group by policies.biz_date, closure.ancestor_org_no, policies.seller_no

),

final as (

    select
        rolled_up.biz_date,
        rolled_up.org_no,
        rolled_up.seller_no,
        coalesce(managers.mgr_name, rolled_up.seller_no) as seller_name,
        rolled_up.inforce_cnt,
        rolled_up.grace_cnt,
        rolled_up.lapsed_cnt,
        rolled_up.followed_up_cnt,
        cast(rolled_up.lapsed_annualised_premium as double) as lapsed_annualised_premium,
        cast(rolled_up.assessed_annualised_premium as double) as assessed_annualised_premium,
        -- LAPSE_RATE = lapsed / (in force + lapsed); LAPSE_RATE_PREM over annualised premium
        {{ safe_divide('rolled_up.lapsed_cnt', 'rolled_up.inforce_cnt + rolled_up.lapsed_cnt') }}
            as lapse_rate,
        {{ safe_divide('rolled_up.lapsed_annualised_premium',
                       'rolled_up.assessed_annualised_premium') }} as lapse_rate_prem,
        {{ safe_divide('rolled_up.followed_up_cnt', 'rolled_up.lapsed_cnt') }}
            as lapse_followup_rate
    from rolled_up
    left join managers
        on managers.biz_date = rolled_up.biz_date and managers.mgr_no = rolled_up.seller_no

)

select * from final
