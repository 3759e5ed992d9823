{# Products (prod_cd) seen on deposit accounts and loans on the latest business
   date, with the subject they are booked to. The extract has no product table,
   so this is what the data shows, not a master list. #}
with

latest_date as (

    select max(biz_date) as biz_date from {{ ref('int_loaded_dates') }}

),

deposit_products as (

    select distinct 'deposit' as product_line, accounts.prod_cd, accounts.subject_code
    from {{ ref('stg_t1__deposit_accounts') }} as accounts
    inner join latest_date on latest_date.biz_date = accounts.biz_date

),

loan_products as (

    select distinct 'loan' as product_line, loans.prod_cd, loans.subject_code
    from {{ ref('stg_t1__loan_duebills') }} as loans
    inner join latest_date on latest_date.biz_date = loans.biz_date

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
