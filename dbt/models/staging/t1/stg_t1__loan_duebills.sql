with

source as (

    select * from {{ source('t1', 'loan_duebill') }}

),

renamed as (

    select
        biz_date,
        loan_no,
        contract_no,
        cust_no,
        org_no,
        prod_cd,
        subject_code,
        {{ decode_code('subject_code', 'source.subject_code') }} as subject_code_label,
        ccy,
        {{ decode_code('ccy', 'source.ccy') }} as ccy_label,
        disb_amt,
        balance,
        disb_date,
        mature_date,
        rate,
        five_class,
        {{ decode_code('five_class', 'source.five_class') }} as five_class_label,
        overdue_days,
        overdue_prin,
        overdue_int,
        guarantee_type,
        {{ decode_code('guarantee_type', 'source.guarantee_type') }} as guarantee_type_label,
        agri_flag,
        {{ decode_code('flag01', 'source.agri_flag') }} as agri_flag_label,
        purpose,
        {{ decode_code('purpose', 'source.purpose') }} as purpose_label,
        channel,
        {{ decode_code('loan_channel', 'source.channel') }} as channel_label,
        mgr_no,
        status as loan_status,
        {{ decode_code('loan_status', 'source.status') }} as loan_status_label
    from source

)

select * from renamed
