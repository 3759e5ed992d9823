with

source as (

    select * from {{ source('t1', 'dep_acct') }}

),

renamed as (

    select
        biz_date,
        acct_no,
        cust_no,
        org_no,
        prod_cd,
        subject_code,
        {{ decode_code('subject_code', 'source.subject_code') }} as subject_code_label,
        ccy,
        {{ decode_code('ccy', 'source.ccy') }} as ccy_label,
        balance,
        open_date,
        mature_date,
        rate,
        status as acct_status,
        {{ decode_code('dep_status', 'source.status') }} as acct_status_label,
        mgr_no
    from source

)

select * from renamed
