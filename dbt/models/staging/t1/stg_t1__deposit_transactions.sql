with

source as (

    select * from {{ source('t1', 'dep_txn') }}

),

renamed as (

    select
        biz_date,
        txn_id,
        acct_no,
        txn_time as txn_at,
        amount,
        dr_cr,
        {{ decode_code('dr_cr', 'source.dr_cr') }} as dr_cr_label,
        channel,
        {{ decode_code('txn_channel', 'source.channel') }} as channel_label,
        cast(txn_time as date) as txn_date
    from source

)

select * from renamed
