{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Manager-grain measures (indicators.md "Manager grain"): deposits by
    DEP_ACCT.mgr_no, loans by LOAN_DUEBILL.mgr_no, visits by VISIT_LOG.mgr_no, for
    every manager in CUST_MGR on D (status 0 too, for period-start values). #}
with

managers as (

    select biz_date, mgr_no, org_no, mgr_status
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

deposits as (

    select biz_date, mgr_no, sum(balance_cny) as dep_bal
    from {{ ref('int_deposit_balances_booked') }}
    where biz_date >= {{ build_from_date() }} and mgr_no is not null
    group by biz_date, mgr_no

),

loans as (

    select
        biz_date,
        mgr_no,
        sum(balance_cny) as loan_bal,
        sum(case when five_class in ('3', '4', '5') then balance_cny else 0 end) as npl_bal,
        sum(case when is_inclusive then balance_cny else 0 end) as incl_bal,
        count(distinct case when is_inclusive and balance > 0 then cust_no end) as incl_cust_cnt
    from {{ ref('int_loans_classified') }}
    where biz_date >= {{ build_from_date() }} and mgr_no is not null
    group by biz_date, mgr_no

),

visits as (

    select * from {{ ref('int_mgr_visits_windowed') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        managers.biz_date,
        managers.mgr_no,
        managers.org_no,
        managers.mgr_status,
        coalesce(deposits.dep_bal, 0) as dep_bal,
        coalesce(loans.loan_bal, 0) as loan_bal,
        coalesce(loans.npl_bal, 0) as npl_bal,
        coalesce(loans.incl_bal, 0) as incl_bal,
        coalesce(loans.incl_cust_cnt, 0) as incl_cust_cnt,
        coalesce(visits.visit_cnt_mtd, 0) as visit_cnt_mtd,
        coalesce(visits.visit_conv_cnt_mtd, 0) as visit_conv_cnt_mtd
    from managers
    left join deposits on deposits.biz_date = managers.biz_date and deposits.mgr_no = managers.mgr_no
    left join loans on loans.biz_date = managers.biz_date and loans.mgr_no = managers.mgr_no
    left join visits on visits.biz_date = managers.biz_date and visits.mgr_no = managers.mgr_no

)

select * from final
