{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Customers holding credit on D (indicators.md CREDIT_CUST_CNT: a CREDIT_LIMIT
    with status 1 and start_date <= D <= end_date), per granting org, with whether
    they use it (CREDIT_USE_RATE: a loan in balance with balance > 0, at any org). #}
with

credit_limits as (

    select biz_date, cust_no, org_no
    from {{ ref('stg_t1__credit_limits') }}
    where biz_date >= {{ build_from_date() }}
        and limit_status = '1' and start_date <= biz_date and biz_date <= end_date

),

borrowers as (

    select distinct biz_date, cust_no
    from {{ ref('int_loans_classified') }}
    where biz_date >= {{ build_from_date() }} and balance > 0

),

final as (

    select distinct
        credit_limits.biz_date,
        credit_limits.org_no,
        credit_limits.cust_no,
        borrowers.cust_no is not null as has_loan_in_balance
    from credit_limits
    left join borrowers
        on borrowers.biz_date = credit_limits.biz_date and borrowers.cust_no = credit_limits.cust_no

)

select * from final
