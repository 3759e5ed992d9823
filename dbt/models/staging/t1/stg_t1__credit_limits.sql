with

source as (

    select * from {{ source('t1', 'credit_limit') }}

),

renamed as (

    select
        biz_date,
        limit_no,
        cust_no,
        org_no,
        limit_amt,
        start_date,
        end_date,
        limit_type,
        {{ decode_code('limit_type', 'source.limit_type') }} as limit_type_label,
        status as limit_status,
        {{ decode_code('limit_status', 'source.status') }} as limit_status_label
    from source

)

select * from renamed
