{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Each customer's deposits on D (customer-ops.md §2 dep_bal: Σ DEP_ACCT.balance in CNY
   of the customer's accounts, as DEP_BAL), with the earliest open_date of those
   accounts (§3 DORMANT). One row per date and customer holding an account on D;
   a customer without one is absent (dep_bal 0 that date). #}
with

accounts as (

    select biz_date, cust_no, ccy, balance, open_date
    from {{ ref('stg_t1__deposit_accounts') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

fx_rates as (

    select biz_date, ccy, rate_to_cny from {{ ref('stg_t1__fx_rates') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

final as (

    -- indicators.md "Currency": FX_RATE of the same date, widened before the product
    -- (int_loans_classified: DECIMAL(18,2) x DECIMAL(12,6) overflows from 10^10 yuan)
    select
        accounts.biz_date,
        accounts.cust_no,
        sum(cast(accounts.balance as decimal(38, 2)) * fx_rates.rate_to_cny) as dep_bal,
        min(accounts.open_date) as first_open_date,
        count(*) as acct_cnt
    from accounts
    left join fx_rates
        on fx_rates.biz_date = accounts.biz_date and fx_rates.ccy = accounts.ccy
    group by accounts.biz_date, accounts.cust_no

)

select * from final
