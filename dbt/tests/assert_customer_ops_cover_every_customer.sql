{# customer-ops.md §2 and §5: customer_profile has one row per customer on D (CUST_INFO
   status 1) and no other, precredit one per such customer of cust_type 1 or 3. #}
with

customers as (

    select biz_date, cust_no, cust_type
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

problems as (

    (select biz_date, cust_no, 'no profile' as problem from customers
     except select biz_date, cust_no, 'no profile' from profiles)
    union all
    (select biz_date, cust_no, 'profile of no customer' from profiles
     except select biz_date, cust_no, 'profile of no customer' from customers)
    union all
    (select biz_date, cust_no, 'no pre-credit' from customers where cust_type in ('1', '3')
     except select biz_date, cust_no, 'no pre-credit' from precredits)
    union all
    (select biz_date, cust_no, 'pre-credit of no customer of type 1 or 3' from precredits
     except select biz_date, cust_no, 'pre-credit of no customer of type 1 or 3' from customers
     where cust_type in ('1', '3'))

)

select * from problems
