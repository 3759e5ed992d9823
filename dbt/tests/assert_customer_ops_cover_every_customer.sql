{# customer-ops.md §2 and §5: customer_profile has one row per customer on D (CUST_INFO
   status 1) and no other, precredit one per such customer of cust_type 1 or 3.
   One pass: each key of the three sides is counted by where it appears, and a key is
   a problem when a side that must hold it does not (one aggregate over the three, not
   four set differences: issue 15's night budget). Duplicates are the unique tests'. #}
with

customers as (

    select biz_date, cust_no, cust_type in ('1', '3') as eligible
    from {{ ref('stg_t1__customers') }}
    where cust_status = '1'
        and biz_date >= {{ test_from_date() }}

),

profiles as (

    select biz_date, cust_no from {{ ref('customer_profile') }}
    where biz_date >= {{ test_from_date() }}

),

precredits as (

    select biz_date, cust_no from {{ ref('precredit') }}
    where biz_date >= {{ test_from_date() }}

),

sides as (

    select biz_date, cust_no, 1 as customer, cast(eligible as integer) as eligible,
        0 as profile, 0 as precredit
    from customers
    union all
    select biz_date, cust_no, 0, 0, 1, 0 from profiles
    union all
    select biz_date, cust_no, 0, 0, 0, 1 from precredits

),

counted as (

    select
        biz_date,
        cust_no,
        sum(customer) > 0 as is_customer,
        sum(eligible) > 0 as is_eligible,
        sum(profile) > 0 as has_profile,
        sum(precredit) > 0 as has_precredit
    from sides
    group by biz_date, cust_no

),

problems as (

    select
        biz_date,
        cust_no,
        case
            when is_customer and not has_profile then 'no profile'
            when has_profile and not is_customer then 'profile of no customer'
            when is_eligible and not has_precredit then 'no pre-credit'
            else 'pre-credit of no customer of type 1 or 3'
        end as problem
    from counted
    where is_customer <> has_profile or is_eligible <> has_precredit

)

select * from problems
