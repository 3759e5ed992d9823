{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Every additive / set measure of every org in ORG_INFO on D (status 0 too: a
    period-start value is the org's value on that date whatever its status), one
    row per (biz_date, org_no). The indicator formulas are in
    marts/indicators/fct_org_indicators_daily.sql. #}
with

orgs as (

    select biz_date, org_no, org_level, org_status
    from {{ ref('stg_t1__orgs') }}
    where biz_date >= {{ build_from_date() }}

),

deposits as (

    select * from {{ ref('int_org_deposits_rolled_up') }} where biz_date >= {{ build_from_date() }}

),

loans as (

    select * from {{ ref('int_org_loans_rolled_up') }} where biz_date >= {{ build_from_date() }}

),

credit as (

    select * from {{ ref('int_org_credit_rolled_up') }} where biz_date >= {{ build_from_date() }}

),

visits as (

    select * from {{ ref('int_org_visits_rolled_up') }} where biz_date >= {{ build_from_date() }}

),

policies as (

    select * from {{ ref('int_org_policies_rolled_up') }} where biz_date >= {{ build_from_date() }}

),

final as (

    select
        orgs.biz_date,
        orgs.org_no,
        orgs.org_level,
        orgs.org_status,
        deposits.dep_bal,
        deposits.dep_bal_personal,
        deposits.dep_bal_corp,
        deposits.dep_bal_demand,
        loans.loan_bal,
        loans.sm_bal,
        loans.npl_bal,
        loans.ovd_bal,
        loans.ovd90_bal,
        loans.incl_bal,
        loans.incl_npl_bal,
        loans.incl_cust_cnt,
        credit.credit_cust_cnt,
        credit.credit_used_cust_cnt,
        credit.grid_hh_cnt,
        credit.grid_credit_cust_cnt,
        visits.visit_cnt_d,
        visits.visit_cnt_mtd,
        visits.visit_cnt_ytd,
        visits.visit_conv_cnt_mtd,
        visits.satisfaction_sum_mtd,
        visits.satisfaction_cnt_mtd,
        visits.visit_cust_mtd,
        visits.active_mgr_cnt,
        policies.policy_inforce_cnt,
        policies.policy_grace_cnt,
        policies.policy_lapsed_cnt,
        policies.policy_followed_up_cnt,
        policies.lapsed_annualised_premium,
        policies.base_annualised_premium,
        policies.renewal_due_30d
    from orgs
    left join deposits on deposits.biz_date = orgs.biz_date and deposits.org_no = orgs.org_no
    left join loans on loans.biz_date = orgs.biz_date and loans.org_no = orgs.org_no
    left join credit on credit.biz_date = orgs.biz_date and credit.org_no = orgs.org_no
    left join visits on visits.biz_date = orgs.biz_date and visits.org_no = orgs.org_no
    left join policies on policies.biz_date = orgs.biz_date and policies.org_no = orgs.org_no

)

select * from final
