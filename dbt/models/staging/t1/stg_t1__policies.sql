with

source as (

    select * from {{ source('t1', 'ins_policy') }}

),

renamed as (

    select
        biz_date,
        policy_no,
        insurer_cd,
        ins_prod_cd,
        cust_no,
        org_no,
        seller_no,
        issue_date,
        pay_freq,
        {{ decode_code('pay_freq', 'source.pay_freq') }} as pay_freq_label,
        premium,
        pay_years,
        next_due_date,
        status as policy_status,
        {{ decode_code('policy_status', 'source.status') }} as policy_status_label,
        status_date,
        lapse_reason,
        {{ decode_code('lapse_reason', 'source.lapse_reason') }} as lapse_reason_label
    from source

)

select * from renamed
