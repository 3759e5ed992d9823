{# CUST_INFO's customer name as ingestion stored it: masked for persons and 个体工商户
   (first character + *, 张三丰 → 张*), an enterprise's name as delivered (not PII,
   docs/ingestion.md "PII"). Kept apart from stg_t1__customers (which selects no PII
   column) like stg_t1__customer_id_hashes: only srv_customer_lookup and
   srv_opportunity read it, so the 客户经营 lookup and call list can show 张* and
   nothing else of the person. Named cust_name_masked, never cust_name: the raw PII
   column's name stops at raw (test_no_pii_column_reaches_marts). #}
with

source as (

    select * from {{ source('t1', 'cust_info') }}

),

renamed as (

    select
        biz_date,
        cust_no,
        cust_type,
        cust_name as cust_name_masked
    from source

)

select * from renamed
