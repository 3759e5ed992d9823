{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Deposit balances per business date at the grain every deposit figure is cut
   by: booking org (DEP_ACCT.org_no), performance manager (DEP_ACCT.mgr_no),
   subject and currency, in the account currency and in CNY (indicators.md
   "Currency": balance * rate_to_cny of the same date). Every DEP_ACCT row counts
   in DEP_BAL. Aggregated here, not kept per account: at bank scale that is
   2M rows a day nobody reads. #}
with

accounts as (

    select biz_date, org_no, mgr_no, subject_code, ccy, balance
    from {{ ref('stg_t1__deposit_accounts') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

fx_rates as (

    select biz_date, ccy, rate_to_cny from {{ ref('stg_t1__fx_rates') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

booked as (

    select biz_date, org_no, mgr_no, subject_code, ccy, count(*) as acct_cnt,
        sum(balance) as balance
    from accounts
    group by biz_date, org_no, mgr_no, subject_code, ccy

),

final as (

    select
        booked.biz_date,
        booked.org_no,
        booked.mgr_no,
        booked.subject_code,
        booked.ccy,
        booked.acct_cnt,
        booked.balance,
        -- the rate is one per (date, ccy), so converting the sum equals summing
        -- the converted balances (both exact DECIMAL)
        booked.balance * fx_rates.rate_to_cny as balance_cny,
        booked.subject_code in ('20110101', '20110102') as is_personal,
        booked.subject_code in ('20110201', '20110202', '20110301') as is_corporate,
        booked.subject_code in ('20110101', '20110201') as is_demand
    from booked
    left join fx_rates
        on fx_rates.biz_date = booked.biz_date and fx_rates.ccy = booked.ccy

)

select * from final
