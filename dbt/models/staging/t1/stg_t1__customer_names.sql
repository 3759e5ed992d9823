{# CUST_INFO.cust_name as stored at ingestion (personal names, cust_type 1 and 3,
   already masked to their first character + '*'; enterprise names in clear, they are
   not personal data), apart from stg_t1__customers (which selects no name): the one
   use of a name is the opportunity push (issue 15), which names the customer to its
   manager. Only srv_opportunity_customers reads it, and masks every name. #}
with

source as (

    select * from {{ source('t1', 'cust_info') }}

),

renamed as (

    select
        biz_date,
        cust_no,
        cust_name
    from source

)

select * from renamed
