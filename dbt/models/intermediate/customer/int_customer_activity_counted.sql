{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# What each customer did on D, from the incremental tables: DEP_TXN rows on their
   accounts (all, and channel 2 手机银行), their credits (C) in CNY, and VISIT_LOG rows
   with their cust_no. The windows of customer-ops.md (mobile_txn_30d, last_txn_date,
   last_visit_date, DORMANT, BIG_INFLOW) are sums and maxima over these rows, so a
   loaded date outside a window never contributes. Only customers with a transaction
   or a visit on D get a row. A transaction belongs to the customer who holds the
   account in DEP_ACCT of the same date (ingestion checks that the account is there). #}
with

transactions as (

    select biz_date, acct_no, amount, dr_cr, channel
    from {{ ref('stg_t1__deposit_transactions') }}
    where biz_date >= {{ build_from_date() }}

),

accounts as (

    select biz_date, acct_no, cust_no, ccy
    from {{ ref('stg_t1__deposit_accounts') }}
    where biz_date >= {{ build_from_date() }}

),

fx_rates as (

    select biz_date, ccy, rate_to_cny from {{ ref('stg_t1__fx_rates') }}
    where biz_date >= {{ build_from_date() }}

),

visits as (

    select biz_date, cust_no
    from {{ ref('stg_t1__visits') }}
    where biz_date >= {{ build_from_date() }} and coalesce(cust_no, '') <> ''

),

customer_transactions as (

    -- amounts are in the account's currency: FX_RATE of the same date (indicators.md)
    select
        transactions.biz_date,
        accounts.cust_no,
        count(*) as txn_cnt,
        count(*) filter (where transactions.channel = '2') as mobile_txn_cnt,
        coalesce(sum(case when transactions.dr_cr = 'C'
            then cast(transactions.amount as decimal(38, 2)) * fx_rates.rate_to_cny end), 0)
            as credit_cny
    from transactions
    inner join accounts
        on accounts.biz_date = transactions.biz_date and accounts.acct_no = transactions.acct_no
    left join fx_rates
        on fx_rates.biz_date = transactions.biz_date and fx_rates.ccy = accounts.ccy
    group by transactions.biz_date, accounts.cust_no

),

customer_visits as (

    select biz_date, cust_no, count(*) as visit_cnt
    from visits
    group by biz_date, cust_no

),

final as (

    select
        coalesce(customer_transactions.biz_date, customer_visits.biz_date) as biz_date,
        coalesce(customer_transactions.cust_no, customer_visits.cust_no) as cust_no,
        coalesce(customer_transactions.txn_cnt, 0) as txn_cnt,
        coalesce(customer_transactions.mobile_txn_cnt, 0) as mobile_txn_cnt,
        coalesce(customer_transactions.credit_cny, 0) as credit_cny,
        coalesce(customer_visits.visit_cnt, 0) as visit_cnt
    from customer_transactions
    full outer join customer_visits
        on customer_visits.biz_date = customer_transactions.biz_date
        and customer_visits.cust_no = customer_transactions.cust_no

)

select * from final
