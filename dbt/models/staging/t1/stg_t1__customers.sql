with

source as (

    select * from {{ source('t1', 'cust_info') }}

),

renamed as (

    select
        biz_date,
        cust_no,
        cust_type,
        {{ decode_code('cust_type', 'source.cust_type') }} as cust_type_label,
        id_type,
        {{ decode_code('id_type', 'source.id_type') }} as id_type_label,
        gender,
        {{ decode_code('gender', 'source.gender') }} as gender_label,
        birth_date,
        education,
        {{ decode_code('education', 'source.education') }} as education_label,
        marital,
        {{ decode_code('marital', 'source.marital') }} as marital_label,
        region_code,
        farmer_flag,
        {{ decode_code('farmer_flag', 'source.farmer_flag') }} as farmer_flag_label,
        ent_scale,
        {{ decode_code('ent_scale', 'source.ent_scale') }} as ent_scale_label,
        industry_code,
        mgr_no,
        grid_no,
        open_date,
        status as cust_status,
        {{ decode_code('cust_status', 'source.status') }} as cust_status_label,
        owner_cust_no
    from source

)

select * from renamed
