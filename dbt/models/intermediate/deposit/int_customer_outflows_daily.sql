{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Each customer's deposit debits (DEP_TXN dr_cr D) on D in CNY, with their deposit
   balance on the previous loaded date P and their owner on D: the inputs of
   customer-ops.md §4 BIG_OUTFLOW, which the early warning of issue 16 applies
   until the opportunity events land. Only customers with a debit on D get a row. #}
with

loaded_dates as (

    select biz_date, lag(biz_date) over (order by biz_date) as prev_biz_date
    from {{ ref('int_loaded_dates') }}

),

debits as (

    select biz_date, acct_no, amount
    from {{ ref('stg_t1__deposit_transactions') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }} and dr_cr = 'D'

),

accounts as (

    -- D and its previous loaded date P (dep_bal on P)
    select biz_date, acct_no, cust_no, ccy, balance
    from {{ ref('stg_t1__deposit_accounts') }}
    where biz_date between {{ batch_prev_date() }} and {{ batch_to_date() }}

),

fx_rates as (

    select biz_date, ccy, rate_to_cny from {{ ref('stg_t1__fx_rates') }}
    where biz_date between {{ batch_prev_date() }} and {{ batch_to_date() }}

),

customers as (

    select biz_date, cust_no, mgr_no
    from {{ ref('stg_t1__customers') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }} and cust_status = '1'

),

managers as (

    select biz_date, mgr_no, org_no
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

customer_debits as (

    -- indicators.md "Currency": the account's currency at FX_RATE of the same date
    select debits.biz_date, accounts.cust_no, sum(debits.amount * fx_rates.rate_to_cny) as debit_cny
    from debits
    inner join accounts on accounts.biz_date = debits.biz_date and accounts.acct_no = debits.acct_no
    inner join fx_rates on fx_rates.biz_date = debits.biz_date and fx_rates.ccy = accounts.ccy
    group by debits.biz_date, accounts.cust_no

),

previous_balances as (

    select loaded_dates.biz_date, accounts.cust_no, sum(accounts.balance * fx_rates.rate_to_cny)
        as dep_bal_cny
    from loaded_dates
    inner join accounts on accounts.biz_date = loaded_dates.prev_biz_date
    inner join fx_rates on fx_rates.biz_date = accounts.biz_date and fx_rates.ccy = accounts.ccy
    where accounts.cust_no in (select customer_debits.cust_no from customer_debits)
    group by loaded_dates.biz_date, accounts.cust_no

),

final as (

    select
        customer_debits.biz_date,
        customer_debits.cust_no,
        customer_debits.debit_cny,
        loaded_dates.prev_biz_date,
        -- no P, or no deposit on P: the "≥ 50 % of dep_bal on P" condition holds (§4)
        coalesce(previous_balances.dep_bal_cny, 0) as prev_dep_bal_cny,
        customers.mgr_no,
        managers.org_no
    from customer_debits
    inner join loaded_dates on loaded_dates.biz_date = customer_debits.biz_date
    inner join customers
        on customers.biz_date = customer_debits.biz_date and customers.cust_no = customer_debits.cust_no
    left join managers
        on managers.biz_date = customer_debits.biz_date and managers.mgr_no = customers.mgr_no
    left join previous_balances
        on previous_balances.biz_date = customer_debits.biz_date
        and previous_balances.cust_no = customer_debits.cust_no

)

select * from final
