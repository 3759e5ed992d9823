{# customer-ops.md §2 and §5: customer_profile has one row per customer on D (CUST_INFO
   status 1) and no other, precredit one per such customer of cust_type 1 or 3 and no
   other. Two full joins on the date and customer number; a row with a side missing is a
   problem (duplicates are the grain tests'). Joining costs about 60 % of counting the
   three sides' keys in one group-by, as this test did until session 23 (issue 15's night
   budget, docs/benchmarks.md). #}
with

customers as (

    select biz_date, cust_no, cust_type
    from {{ ref('stg_t1__customers') }}
    where cust_status = '1'
        and biz_date >= {{ test_from_date() }}

),

profiles as (

    select biz_date, cust_no, cust_type from {{ ref('customer_profile') }}
    where biz_date >= {{ test_from_date() }}

),

precredits as (

    select biz_date, cust_no from {{ ref('precredit') }}
    where biz_date >= {{ test_from_date() }}

),

profile_problems as (

    select
        coalesce(customers.biz_date, profiles.biz_date) as biz_date,
        coalesce(customers.cust_no, profiles.cust_no) as cust_no,
        case
            when profiles.cust_no is null then 'no profile'
            when customers.cust_no is null then 'profile of no customer'
            else 'profile of another customer type'
        end as problem
    from customers
    full outer join profiles
        on profiles.biz_date = customers.biz_date and profiles.cust_no = customers.cust_no
    where customers.cust_no is null
        or profiles.cust_no is null
        or customers.cust_type is distinct from profiles.cust_type

),

precredit_problems as (

    -- against the profiles, which match the customers or fail above
    select
        coalesce(eligible.biz_date, precredits.biz_date) as biz_date,
        coalesce(eligible.cust_no, precredits.cust_no) as cust_no,
        case
            when precredits.cust_no is null then 'no pre-credit'
            else 'pre-credit of no customer of type 1 or 3'
        end as problem
    from (select * from profiles where cust_type in ('1', '3')) as eligible
    full outer join precredits
        on precredits.biz_date = eligible.biz_date and precredits.cust_no = eligible.cust_no
    where eligible.cust_no is null or precredits.cust_no is null

),

final as (

    select * from profile_problems
    union all
    select * from precredit_problems

)

select * from final
