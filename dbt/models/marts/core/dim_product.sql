-- depends_on: {{ ref('int_loaded_dates') }}
{# Products (prod_cd) seen on deposit accounts and loans on the latest business
   date, with the subject they are booked to. The extract has no product table,
   so this is what the data shows, not a master list. #}
with

deposit_products as (

    select distinct 'deposit' as product_line, accounts.prod_cd, accounts.subject_code
    from {{ ref('stg_t1__deposit_accounts') }} as accounts
    where accounts.biz_date = {{ latest_loaded_date() }}

),

loan_products as (

    select distinct 'loan' as product_line, loans.prod_cd, loans.subject_code
    from {{ ref('stg_t1__loan_duebills') }} as loans
    where loans.biz_date = {{ latest_loaded_date() }}

),

unioned as (

    select * from deposit_products
    union all
    select * from loan_products

),

final as (

    select
        unioned.product_line,
        unioned.prod_cd,
        unioned.subject_code,
        {{ decode_code('subject_code', 'unioned.subject_code') }} as subject_name
    from unioned

)

select * from final
