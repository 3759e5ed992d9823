with

source as (

    select * from {{ source('t1', 'visit_log') }}

),

renamed as (

    select
        biz_date,
        visit_id,
        mgr_no,
        cust_no,
        grid_no,
        visit_time as visited_at,
        lon,
        lat,
        visit_type,
        {{ decode_code('visit_type', 'source.visit_type') }} as visit_type_label,
        outcome,
        {{ decode_code('outcome', 'source.outcome') }} as outcome_label,
        satisfaction,
        photo_cnt,
        policy_no,
        cast(visit_time as date) as visit_date
    from source

)

select * from renamed
