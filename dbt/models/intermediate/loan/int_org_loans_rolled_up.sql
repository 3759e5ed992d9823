{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Loan and inclusive-loan measures per org and date, rolled up the org tree of
    that date by LOAN_DUEBILL.org_no (indicators.md "Org roll-up"). #}
with

closure as (

    select biz_date, ancestor_org_no, org_no from {{ ref('int_org_closure') }}
    where biz_date >= {{ build_from_date() }}

),

loans as (

    select * from {{ ref('int_loans_classified') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    {% call roll_up_to_ancestors('loans') -%}
        coalesce(sum(loans.balance_cny), 0) as loan_bal,
        coalesce(sum(case when loans.five_class = '2' then loans.balance_cny end), 0) as sm_bal,
        coalesce(sum(case when loans.five_class in ('3', '4', '5') then loans.balance_cny end), 0)
            as npl_bal,
        -- OVD_BAL: the whole balance of each loan with overdue_days > 0
        coalesce(sum(case when loans.overdue_days > 0 then loans.balance_cny end), 0) as ovd_bal,
        coalesce(sum(case when loans.overdue_days > 90 then loans.balance_cny end), 0) as ovd90_bal,
        coalesce(sum(case when loans.is_inclusive then loans.balance_cny end), 0) as incl_bal,
        coalesce(sum(case when loans.is_inclusive and loans.five_class in ('3', '4', '5')
                          then loans.balance_cny end), 0) as incl_npl_bal,
        -- INCL_CUST_CNT: distinct borrowers with an inclusive loan of balance > 0
        count(distinct case when loans.is_inclusive and loans.balance > 0
                            then loans.cust_no end) as incl_cust_cnt
    {%- endcall %}

)

select * from final
