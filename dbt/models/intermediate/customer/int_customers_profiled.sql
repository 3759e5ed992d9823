{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
{# Every customer on D (CUST_INFO status 1, customer-ops.md §1) with their owner, the
   profile of §2, what §3's tags and §5's admission need besides it (owner_cust_no,
   the earliest open_date of their accounts, NPL / overdue loans) and one flag per tag
   of §3, so each tag's rule is written once: customer_tag lists the flags that hold,
   precredit scores MICRO_OWNER and MOBILE_ACTIVE from the same flags.

   Windows are calendar days and only loaded dates inside them contribute: the
   incremental tables hold rows of loaded dates only, and dep_davg_mtd divides by the
   loaded days of the month (int_loaded_dates).

   Built one loaded date at a time (batch_dates=1, macros/materializations/
   incremental.sql), so D is batch_date() and every side is one row per customer:
   D's own rows; D's deposits with the month's 积数, one group-by of the month's
   loaded days up to D; and the activity windows (latest transaction, latest visit,
   mobile_txn_30d), one group-by of the activity rows up to D. Sums of decimals are
   exact. Over many dates at once the per-customer sides joined below outgrow memory:
   a full refresh of 30 bank dates spilled 18 GB and failed (docs/benchmarks.md); and
   for one date these group-bys cost half the running sums and as-of joins a window
   of dates needs. #}
with

loaded_date as (

    select biz_date, loaded_days_mtd
    from {{ ref('int_loaded_dates') }}
    where biz_date = {{ batch_date() }}

),

customers as (

    select
        biz_date, cust_no, cust_type, farmer_flag, education, marital, region_code, grid_no,
        mgr_no, birth_date, owner_cust_no
    from {{ ref('stg_t1__customers') }}
    where biz_date = {{ batch_date() }} and cust_status = '1'

),

managers as (

    select mgr_no, org_no
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date = {{ batch_date() }}

),

deposits as (

    -- D's deposits (dep_bal, the earliest open_date of the accounts held on D) and the
    -- 积数 of D's month in one group-by: each customer's dep_bal over the month's loaded
    -- days up to D; a loaded day without accounts adds 0 (§2 "a customer absent on a
    -- date counts 0 that date") and still counts in loaded_days_mtd
    select
        cust_no,
        sum(dep_bal) filter (where biz_date = {{ batch_date() }}) as dep_bal,
        min(first_open_date) filter (where biz_date = {{ batch_date() }}) as first_open_date,
        sum(dep_bal) as dep_bal_acc_mtd
    from {{ ref('int_customer_deposits_summed') }}
    where biz_date >= {{ month_start(batch_date()) }} and biz_date <= {{ batch_date() }}
    group by cust_no

),

loans as (

    -- loans in balance (status 1, indicators.md), CNY
    select
        cust_no,
        sum(balance_cny) as loan_bal,
        bool_or(five_class in ('3', '4', '5')) as has_npl_loan,
        bool_or(overdue_days > 0) as has_overdue_loan
    from {{ ref('int_loans_classified') }}
    where biz_date = {{ batch_date() }}
    group by cust_no

),

credit as (

    -- §2 credit_amt: 单户授信总额 (indicators.md) of a customer holding an active
    -- CREDIT_LIMIT (status 1, start_date <= D <= end_date); the loan-balance fallback
    -- of that definition does not apply here ("else 0")
    select cust_no, sum(limit_amt) as credit_amt
    from {{ ref('stg_t1__credit_limits') }}
    where biz_date = {{ batch_date() }}
        and limit_status = '1' and start_date <= biz_date and biz_date <= end_date
    group by cust_no

),

activity as (

    -- the latest loaded date <= D with a transaction on their accounts and with a visit
    -- (any history), and "last 30 days" = D − 29 … D of mobile transactions
    select
        cust_no,
        max(biz_date) filter (where txn_cnt > 0) as last_txn_date,
        max(biz_date) filter (where visit_cnt > 0) as last_visit_date,
        sum(mobile_txn_cnt) filter (
            where biz_date >= cast({{ batch_date() }} - interval 29 day as date)
        ) as mobile_txn_30d
    from {{ ref('int_customer_activity_counted') }}
    where biz_date <= {{ batch_date() }}
    group by cust_no

),

policies as (

    select cust_no, count(*) as policy_cnt
    from {{ ref('stg_t1__policies') }}
    where biz_date = {{ batch_date() }} and policy_status in ('1', '2', '4')
    group by cust_no

),

profiled as (

    select
        customers.biz_date,
        customers.cust_no,
        customers.cust_type,
        customers.farmer_flag,
        customers.education,
        customers.marital,
        customers.region_code,
        customers.grid_no,
        customers.mgr_no,
        managers.org_no,
        -- completed years: one less before the birthday of D's year (a 29 Feb birthday
        -- completes on 1 Mar in other years)
        case
            when customers.cust_type = '2' or customers.birth_date is null then null
            else year(customers.biz_date) - year(customers.birth_date)
                - case
                    when month(customers.biz_date) * 100 + day(customers.biz_date)
                        < month(customers.birth_date) * 100 + day(customers.birth_date)
                        then 1
                    else 0
                end
        end as age,
        coalesce(deposits.dep_bal, 0) as dep_bal,
        cast(coalesce(deposits.dep_bal_acc_mtd, 0) as double) / loaded_date.loaded_days_mtd
            as dep_davg_mtd,
        coalesce(loans.loan_bal, 0) as loan_bal,
        coalesce(credit.credit_amt, 0) as credit_amt,
        coalesce(activity.mobile_txn_30d, 0) as mobile_txn_30d,
        activity.last_txn_date,
        activity.last_visit_date,
        coalesce(policies.policy_cnt, 0) as policy_cnt,
        customers.owner_cust_no,
        deposits.first_open_date,
        coalesce(loans.has_npl_loan, false) as has_npl_loan,
        coalesce(loans.has_overdue_loan, false) as has_overdue_loan
    from customers
    inner join loaded_date on loaded_date.biz_date = customers.biz_date
    left join managers on managers.mgr_no = customers.mgr_no
    left join deposits on deposits.cust_no = customers.cust_no
    left join loans on loans.cust_no = customers.cust_no
    left join credit on credit.cust_no = customers.cust_no
    left join activity on activity.cust_no = customers.cust_no
    left join policies on policies.cust_no = customers.cust_no

),

tiered as (

    -- §2 dep_tier
    select
        profiled.*,
        case
            when profiled.dep_davg_mtd >= 500000 then 'A'
            when profiled.dep_davg_mtd >= 100000 then 'B'
            when profiled.dep_davg_mtd >= 10000 then 'C'
            when profiled.dep_davg_mtd > 0 then 'D'
            else 'E'
        end as dep_tier
    from profiled

),

final as (

    -- §3: one flag per tag, true when the customer holds it on D
    select
        tiered.*,
        coalesce(tiered.farmer_flag = '1', false) as is_farmer,
        coalesce(tiered.owner_cust_no, '') <> '' as is_micro_owner,
        tiered.loan_bal > 0 as is_borrower,
        tiered.credit_amt > 0 and tiered.loan_bal = 0 as is_credit_unused,
        tiered.has_npl_loan as is_npl,
        tiered.mobile_txn_30d >= 3 as is_mobile_active,
        -- dep_bal > 0, no transaction in D − 179 … D, earliest account opened by D − 180
        tiered.dep_bal > 0
            and coalesce(tiered.last_txn_date <= cast(tiered.biz_date - interval 180 day as date), true)
            and coalesce(tiered.first_open_date <= cast(tiered.biz_date - interval 180 day as date), false)
            as is_dormant,
        coalesce(tiered.age >= 60, false) as is_senior,
        coalesce(tiered.last_visit_date >= cast(tiered.biz_date - interval 89 day as date), false)
            as is_visited_90d,
        tiered.policy_cnt > 0 as is_policy_holder,
        tiered.dep_tier = 'A' as is_high_value
    from tiered

)

select * from final
