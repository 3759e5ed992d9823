{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 存款余额明细: deposit balances per day by booking org (outlet), subject,
   currency and performance manager, in the account currency and in CNY (FX of
   the same date). Summed over an org's subtree it gives the published DEP_BAL. #}
with

booked as (

    select * from {{ ref('int_deposit_balances_booked') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        booked.biz_date,
        booked.org_no,
        booked.subject_code,
        {{ decode_code('subject_code', 'booked.subject_code') }} as subject_name,
        booked.ccy,
        booked.mgr_no,
        booked.acct_cnt,
        booked.balance,
        cast(booked.balance_cny as double) as balance_cny
    from booked

)

select * from final
