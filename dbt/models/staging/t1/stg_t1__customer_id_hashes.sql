{# The keyed hash of CUST_INFO.id_no, kept apart from stg_t1__customers (which drops
   every PII column): the one use of an ID number is matching the bank's blacklist
   (customer-ops.md §6, "matching against CUST_INFO uses the keyed hash"), in
   int_customers_blacklisted, which outputs customer numbers only. #}
with

source as (

    select * from {{ source('t1', 'cust_info') }}

),

renamed as (

    select
        biz_date,
        cust_no,
        id_type,
        id_no as id_no_hash
    from source

)

select * from renamed
