{# CUST_INFO's name masked to its first character + '*' for every customer, apart from
   stg_t1__customers (which selects no name). Ingestion already masks personal names
   (cust_type 1 and 3) this way and keeps enterprise names in clear; here every name
   is masked, so no name in clear leaves raw (t1-extract-spec §4). Three serving tables
   read it (issue 15): srv_opportunity_customers for the opportunity push, which names
   the customer to its manager in a group chat, and srv_opportunity and
   srv_customer_lookup for the 客户经营 call list and lookup. #}
with

source as (

    select * from {{ source('t1', 'cust_info') }}

),

renamed as (

    select
        biz_date,
        cust_no,
        case
            when nullif(trim(cust_name), '') is not null
                then substr(trim(cust_name), 1, 1) || '*'
        end as cust_name_masked
    from source

)

select * from renamed
