{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 商机事件 (customer-ops.md §4): the events raised on D, append-only per raising date.
   Each rule's window runs from the previous loaded date P (exclusive) to D, so an
   event is raised on the one date its condition first holds; on the first loaded
   date there is no P and "(P, D]" means "<= D". Only D's and P's rows are read, so a
   re-delivery of D recomputes D and every later date through from_date (the dates
   before it keep their events). Events are raised for customers on D (CUST_INFO
   status 1) and owned by the customer's owner on D: CUST_INFO.mgr_no and that
   manager's CUST_MGR.org_no. Amounts in CNY at FX_RATE of D. BIG_OUTFLOW's inputs
   are int_customer_outflows_daily's, which the early warning of issue 16 reads too. #}
with

loaded_dates as (

    select biz_date, lag(biz_date) over (order by biz_date) as prev_biz_date
    from {{ ref('int_loaded_dates') }}

),

owners as (

    select biz_date, cust_no, mgr_no, org_no, loan_bal
    from {{ ref('int_customers_profiled') }}
    where biz_date >= {{ build_from_date() }}

),

fx_rates as (

    select biz_date, ccy, rate_to_cny from {{ ref('stg_t1__fx_rates') }}
    where biz_date >= {{ build_from_date() }}

),

time_deposits as (

    select biz_date, acct_no, cust_no, ccy, balance, mature_date
    from {{ ref('stg_t1__deposit_accounts') }}
    where biz_date >= {{ build_from_date() }}
        and mature_date is not null and acct_status = '1' and balance > 0

),

loans as (

    -- D's loans and, for NEW_OVERDUE, those of the previous loaded date P
    select biz_date, loan_no, cust_no, ccy, balance, mature_date, five_class, overdue_days,
        overdue_prin, overdue_int, loan_status
    from {{ ref('stg_t1__loan_duebills') }}
    where biz_date >= {{ loaded_date_before(build_from_date()) }}

),

credit_limits as (

    select biz_date, limit_no, cust_no, limit_amt, start_date
    from {{ ref('stg_t1__credit_limits') }}
    where biz_date >= {{ build_from_date() }} and limit_status = '1'

),

outflows as (

    select biz_date, cust_no, debit_cny, prev_dep_bal_cny
    from {{ ref('int_customer_outflows_daily') }}
    where biz_date >= {{ build_from_date() }}

),

inflows as (

    select biz_date, cust_no, credit_cny
    from {{ ref('int_customer_activity_counted') }}
    where biz_date >= {{ build_from_date() }} and credit_cny > 0

),

td_mature as (

    -- P + 30 < mature_date <= D + 30
    select
        time_deposits.biz_date,
        'TD_MATURE' as event_type,
        time_deposits.cust_no,
        time_deposits.acct_no as ref_no,
        cast(time_deposits.balance as decimal(38, 2)) * fx_rates.rate_to_cny as amount,
        time_deposits.mature_date as due_date
    from time_deposits
    inner join loaded_dates on loaded_dates.biz_date = time_deposits.biz_date
    left join fx_rates
        on fx_rates.biz_date = time_deposits.biz_date and fx_rates.ccy = time_deposits.ccy
    where time_deposits.mature_date <= cast(time_deposits.biz_date + interval 30 day as date)
        and (loaded_dates.prev_biz_date is null
            or time_deposits.mature_date > cast(loaded_dates.prev_biz_date + interval 30 day as date))

),

loan_mature as (

    -- loans in balance, balance > 0, five_class 1 or 2, P + 30 < mature_date <= D + 30
    select
        loans.biz_date,
        'LOAN_MATURE' as event_type,
        loans.cust_no,
        loans.loan_no as ref_no,
        cast(loans.balance as decimal(38, 2)) * fx_rates.rate_to_cny as amount,
        loans.mature_date as due_date
    from loans
    inner join loaded_dates on loaded_dates.biz_date = loans.biz_date
    left join fx_rates on fx_rates.biz_date = loans.biz_date and fx_rates.ccy = loans.ccy
    where loans.biz_date >= {{ build_from_date() }}
        and loans.loan_status = '1' and loans.balance > 0 and loans.five_class in ('1', '2')
        and loans.mature_date <= cast(loans.biz_date + interval 30 day as date)
        and (loaded_dates.prev_biz_date is null
            or loans.mature_date > cast(loaded_dates.prev_biz_date + interval 30 day as date))

),

big_outflow as (

    -- debits on D >= 50,000 and >= 50 % of dep_bal on P (holds with no P or 0 on P;
    -- int_customer_outflows_daily gives 0 then)
    select
        outflows.biz_date,
        'BIG_OUTFLOW' as event_type,
        outflows.cust_no,
        '' as ref_no,
        outflows.debit_cny as amount,
        cast(null as date) as due_date
    from outflows
    where outflows.debit_cny >= 50000
        and (outflows.prev_dep_bal_cny = 0 or outflows.debit_cny >= 0.5 * outflows.prev_dep_bal_cny)

),

big_inflow as (

    select
        inflows.biz_date,
        'BIG_INFLOW' as event_type,
        inflows.cust_no,
        '' as ref_no,
        inflows.credit_cny as amount,
        cast(null as date) as due_date
    from inflows
    where inflows.credit_cny >= 50000

),

limit_unused as (

    -- start_date + 30 in (P, D], and the customer's loan_bal on D is 0 (checked below)
    select
        credit_limits.biz_date,
        'LIMIT_UNUSED_30D' as event_type,
        credit_limits.cust_no,
        credit_limits.limit_no as ref_no,
        cast(credit_limits.limit_amt as decimal(38, 2)) as amount,
        cast(null as date) as due_date
    from credit_limits
    inner join loaded_dates on loaded_dates.biz_date = credit_limits.biz_date
    where cast(credit_limits.start_date + interval 30 day as date) <= credit_limits.biz_date
        and (loaded_dates.prev_biz_date is null
            or cast(credit_limits.start_date + interval 30 day as date) > loaded_dates.prev_biz_date)

),

new_overdue as (

    -- overdue on D, not on P (a loan absent on P, or no P, counts as overdue_days 0)
    select
        loans.biz_date,
        'NEW_OVERDUE' as event_type,
        loans.cust_no,
        loans.loan_no as ref_no,
        cast(coalesce(loans.overdue_prin, 0) + coalesce(loans.overdue_int, 0) as decimal(38, 2))
            * fx_rates.rate_to_cny as amount,
        cast(null as date) as due_date
    from loans
    inner join loaded_dates on loaded_dates.biz_date = loans.biz_date
    left join loans as previous
        on previous.biz_date = loaded_dates.prev_biz_date and previous.loan_no = loans.loan_no
    left join fx_rates on fx_rates.biz_date = loans.biz_date and fx_rates.ccy = loans.ccy
    where loans.biz_date >= {{ build_from_date() }}
        and loans.loan_status = '1' and loans.overdue_days > 0
        and coalesce(previous.overdue_days, 0) = 0

),

raised as (

    select * from td_mature
    union all select * from loan_mature
    union all select * from big_outflow
    union all select * from big_inflow
    union all select * from limit_unused
    union all select * from new_overdue

),

final as (

    select
        raised.biz_date,
        raised.event_type,
        raised.cust_no,
        raised.ref_no,
        cast(raised.amount as double) as amount,
        raised.due_date,
        owners.mgr_no,
        owners.org_no
    from raised
    inner join owners on owners.biz_date = raised.biz_date and owners.cust_no = raised.cust_no
    where raised.event_type <> 'LIMIT_UNUSED_30D' or owners.loan_bal = 0

)

select * from final
