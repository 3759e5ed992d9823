{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Deposit accounts with their balance in CNY (indicators.md "Currency":
    balance * rate_to_cny of the same date). Every DEP_ACCT row counts in DEP_BAL. #}
with

accounts as (

    select biz_date, acct_no, cust_no, org_no, prod_cd, subject_code, ccy, balance, acct_status, mgr_no
    from {{ ref('stg_t1__deposit_accounts') }}
    where biz_date >= {{ build_from_date() }}

),

fx_rates as (

    select biz_date, ccy, rate_to_cny from {{ ref('stg_t1__fx_rates') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        accounts.*,
        accounts.balance * fx_rates.rate_to_cny as balance_cny,
        accounts.subject_code in ('20110101', '20110102') as is_personal,
        accounts.subject_code in ('20110201', '20110202', '20110301') as is_corporate,
        accounts.subject_code in ('20110101', '20110201') as is_demand
    from accounts
    left join fx_rates
        on fx_rates.biz_date = accounts.biz_date and fx_rates.ccy = accounts.ccy

)

select * from final
