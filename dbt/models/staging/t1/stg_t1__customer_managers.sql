with

source as (

    select * from {{ source('t1', 'cust_mgr') }}

),

renamed as (

    select
        biz_date,
        mgr_no,
        mgr_name,
        org_no,
        post_type,
        {{ decode_code('post_type', 'source.post_type') }} as post_type_label,
        status as mgr_status,
        {{ decode_code('mgr_status', 'source.status') }} as mgr_status_label,
        hire_date
    from source

)

select * from renamed
