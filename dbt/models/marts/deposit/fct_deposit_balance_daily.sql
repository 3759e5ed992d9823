{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 存款余额明细: deposit balances per day by booking org (outlet), subject,
   currency and performance manager, in the account currency and in CNY (FX of
   the same date). Summed over an org's subtree it gives the published DEP_BAL. #}
with

accounts as (

    select * from {{ ref('int_deposit_accounts_converted') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        biz_date,
        org_no,
        subject_code,
        {{ decode_code('subject_code', 'accounts.subject_code') }} as subject_name,
        ccy,
        mgr_no,
        count(*) as acct_cnt,
        sum(balance) as balance,
        cast(sum(balance_cny) as double) as balance_cny
    from accounts
    group by biz_date, org_no, subject_code, ccy, mgr_no

)

select * from final
