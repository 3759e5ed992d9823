with

source as (

    select * from {{ source('t1', 'org_info') }}

),

renamed as (

    select
        biz_date,
        org_no,
        org_name,
        org_level,
        {{ decode_code('org_level', 'source.org_level') }} as org_level_label,
        parent_org_no,
        legal_org_no,
        region_code,
        status as org_status,
        {{ decode_code('org_status', 'source.status') }} as org_status_label,
        open_date
    from source

)

select * from renamed
