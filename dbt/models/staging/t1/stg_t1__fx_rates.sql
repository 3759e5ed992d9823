with

source as (

    select * from {{ source('t1', 'fx_rate') }}

),

renamed as (

    select
        biz_date,
        ccy,
        {{ decode_code('ccy', 'source.ccy') }} as ccy_label,
        rate_to_cny
    from source

)

select * from renamed
