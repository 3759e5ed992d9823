with

source as (

    select * from {{ source('t1', 'loan_repay') }}

),

renamed as (

    select
        biz_date,
        repay_id,
        loan_no,
        txn_date,
        prin_amt,
        int_amt,
        repay_type,
        {{ decode_code('repay_type', 'source.repay_type') }} as repay_type_label
    from source

)

select * from renamed
