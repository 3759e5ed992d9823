with

source as (

    select * from {{ source('t1', 'grid') }}

),

renamed as (

    select
        biz_date,
        grid_no,
        grid_name,
        org_no,
        mgr_no,
        region_code,
        household_cnt,
        center_lon,
        center_lat
    from source

)

select * from renamed
