{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Every customer on D (CUST_INFO status 1, customer-ops.md §1) with their owner, the
   profile of §2, what §3's tags and §5's admission need besides it (owner_cust_no,
   the earliest open_date of their accounts, NPL / overdue loans) and one flag per tag
   of §3, so each tag's rule is written once: customer_tag lists the flags that hold,
   precredit scores MICRO_OWNER and MOBILE_ACTIVE from the same flags.

   Windows are calendar days and only loaded dates inside them contribute: the
   incremental tables hold rows of loaded dates only, and dep_davg_mtd divides by the
   loaded days of the month (int_loaded_dates).

   What lies before the first date built (F) is read as one aggregate per customer:
   the 积数 of F's month before F, and the latest transaction and visit dates before F
   (a narrow group-by over the activity history). The running sums and the as-of join
   cover the dates built only, so a night sorts one day of deposits and activity, not
   the month or the whole history (issue 15). Sums of decimals are exact, so base +
   running sum equals the sum over the month.

   Built one loaded date at a time (batch_dates, macros/materializations/incremental.sql):
   F and the last date of each batch are batch_from_date() and batch_to_date(). Over many
   dates at once the dozen per-customer sides joined below outgrow memory: a full refresh
   of 30 bank dates spilled 18 GB and failed (docs/benchmarks.md). #}
with

loaded_dates as (

    select biz_date, month_start_date, loaded_days_mtd
    from {{ ref('int_loaded_dates') }}

),

customers as (

    select
        biz_date, cust_no, cust_type, farmer_flag, education, marital, region_code, grid_no,
        mgr_no, birth_date, owner_cust_no
    from {{ ref('stg_t1__customers') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}
        and cust_status = '1'

),

managers as (

    select biz_date, mgr_no, org_no
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

deposits as (

    select biz_date, cust_no, dep_bal, first_open_date
    from {{ ref('int_customer_deposits_summed') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

deposit_base as (

    -- the 积数 of F's month before F: each customer's dep_bal over those loaded days
    select cust_no, sum(dep_bal) as dep_bal_acc
    from {{ ref('int_customer_deposits_summed') }}
    where biz_date >= {{ month_start(batch_from_date()) }} and biz_date < {{ batch_from_date() }}
    group by cust_no

),

deposit_history as (

    -- 积数 over the dates built: each customer's dep_bal summed over the loaded days of
    -- the month from F up to each date they held accounts; a loaded day without
    -- accounts adds 0 (§2 "a customer absent on a date counts 0 that date") and still
    -- counts in loaded_days_mtd
    select
        deposits.cust_no,
        deposits.biz_date,
        loaded_dates.month_start_date,
        sum(deposits.dep_bal) over (
            partition by deposits.cust_no, loaded_dates.month_start_date
            order by deposits.biz_date
            rows between unbounded preceding and current row
        ) as dep_bal_acc_mtd
    from deposits
    inner join loaded_dates on loaded_dates.biz_date = deposits.biz_date

),

loans as (

    -- loans in balance (status 1, indicators.md), CNY
    select
        biz_date,
        cust_no,
        sum(balance_cny) as loan_bal,
        bool_or(five_class in ('3', '4', '5')) as has_npl_loan,
        bool_or(overdue_days > 0) as has_overdue_loan
    from {{ ref('int_loans_classified') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}
    group by biz_date, cust_no

),

credit as (

    -- §2 credit_amt: 单户授信总额 (indicators.md) of a customer holding an active
    -- CREDIT_LIMIT (status 1, start_date <= D <= end_date); the loan-balance fallback
    -- of that definition does not apply here ("else 0")
    select biz_date, cust_no, sum(limit_amt) as credit_amt
    from {{ ref('stg_t1__credit_limits') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}
        and limit_status = '1' and start_date <= biz_date and biz_date <= end_date
    group by biz_date, cust_no

),

activity as (

    -- the dates built and the 29 days before the first of them (mobile_txn_30d)
    select biz_date, cust_no, txn_cnt, mobile_txn_cnt, visit_cnt
    from {{ ref('int_customer_activity_counted') }}
    where biz_date between cast({{ batch_from_date() }} - interval 29 day as date)
        and {{ batch_to_date() }}

),

activity_before as (

    -- the latest transaction and visit dates before F, one row per customer
    select
        cust_no,
        max(biz_date) filter (where txn_cnt > 0) as last_txn_date,
        max(biz_date) filter (where visit_cnt > 0) as last_visit_date
    from {{ ref('int_customer_activity_counted') }}
    where biz_date < {{ batch_from_date() }}
    group by cust_no

),

policies as (

    select biz_date, cust_no, count(*) as policy_cnt
    from {{ ref('stg_t1__policies') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}
        and policy_status in ('1', '2', '4')
    group by biz_date, cust_no

),

mobile_30d as (

    -- "last 30 days" = D − 29 … D
    select customers.biz_date, customers.cust_no, sum(activity.mobile_txn_cnt) as mobile_txn_30d
    from customers
    inner join activity
        on activity.cust_no = customers.cust_no
        and activity.biz_date between cast(customers.biz_date - interval 29 day as date)
            and customers.biz_date
    where activity.mobile_txn_cnt > 0
    group by customers.biz_date, customers.cust_no

),

activity_running as (

    -- from F on: the latest transaction and visit dates up to each date with activity,
    -- so one as-of join finds both
    select
        cust_no,
        biz_date,
        max(case when txn_cnt > 0 then biz_date end) over running as last_txn_date,
        max(case when visit_cnt > 0 then biz_date end) over running as last_visit_date
    from activity
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}
    window running as (
        partition by cust_no order by biz_date rows between unbounded preceding and current row
    )

),

last_activity as (

    -- the latest loaded date <= D with a transaction on their accounts (any history),
    -- and with a visit: from F on as of D, else the latest before F (activity_before)
    select
        customers.biz_date,
        customers.cust_no,
        activity_running.last_txn_date,
        activity_running.last_visit_date
    from customers
    asof inner join activity_running
        on activity_running.cust_no = customers.cust_no
        and activity_running.biz_date <= customers.biz_date

),

deposit_mtd as (

    -- the running 积数 of the customer's last date with accounts in D's month, F to D
    select customers.biz_date, customers.cust_no, deposit_history.dep_bal_acc_mtd
    from customers
    inner join loaded_dates on loaded_dates.biz_date = customers.biz_date
    asof inner join deposit_history
        on deposit_history.cust_no = customers.cust_no
        and deposit_history.month_start_date = loaded_dates.month_start_date
        and deposit_history.biz_date <= customers.biz_date

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
        -- the 积数 before F counts in F's month only
        cast(coalesce(deposit_mtd.dep_bal_acc_mtd, 0)
            + case when loaded_dates.month_start_date = {{ month_start(batch_from_date()) }}
                then coalesce(deposit_base.dep_bal_acc, 0) else 0 end as double)
            / loaded_dates.loaded_days_mtd as dep_davg_mtd,
        coalesce(loans.loan_bal, 0) as loan_bal,
        coalesce(credit.credit_amt, 0) as credit_amt,
        coalesce(mobile_30d.mobile_txn_30d, 0) as mobile_txn_30d,
        coalesce(last_activity.last_txn_date, activity_before.last_txn_date) as last_txn_date,
        coalesce(last_activity.last_visit_date, activity_before.last_visit_date)
            as last_visit_date,
        coalesce(policies.policy_cnt, 0) as policy_cnt,
        customers.owner_cust_no,
        deposits.first_open_date,
        coalesce(loans.has_npl_loan, false) as has_npl_loan,
        coalesce(loans.has_overdue_loan, false) as has_overdue_loan
    from customers
    inner join loaded_dates on loaded_dates.biz_date = customers.biz_date
    left join managers
        on managers.biz_date = customers.biz_date and managers.mgr_no = customers.mgr_no
    left join deposits
        on deposits.biz_date = customers.biz_date and deposits.cust_no = customers.cust_no
    left join deposit_mtd
        on deposit_mtd.biz_date = customers.biz_date and deposit_mtd.cust_no = customers.cust_no
    left join deposit_base on deposit_base.cust_no = customers.cust_no
    left join loans
        on loans.biz_date = customers.biz_date and loans.cust_no = customers.cust_no
    left join credit
        on credit.biz_date = customers.biz_date and credit.cust_no = customers.cust_no
    left join mobile_30d
        on mobile_30d.biz_date = customers.biz_date and mobile_30d.cust_no = customers.cust_no
    left join last_activity
        on last_activity.biz_date = customers.biz_date
        and last_activity.cust_no = customers.cust_no
    left join activity_before on activity_before.cust_no = customers.cust_no
    left join policies
        on policies.biz_date = customers.biz_date and policies.cust_no = customers.cust_no

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
