with

source as (

    select * from {{ source('t1', 'gl_bal') }}

),

renamed as (

    select
        biz_date,
        org_no,
        subject_code,
        {{ decode_code('subject_code', 'source.subject_code') }} as subject_code_label,
        ccy,
        {{ decode_code('ccy', 'source.ccy') }} as ccy_label,
        balance
    from source

)

select * from renamed
