{{ config(materialized='view', meta={'published_by_date': true}) }}
{# 预授信白名单 for the 客户经营 dashboard (issue 15): one row per D and customer of
   cust_type 1 or 3 (precredit, customer-ops.md §5) with the reject reason's 名称, the
   customer's owner on D (customer_owner_ctes, §1) and that org's path of D, so the
   whitelist counts, limits and rejections read per org under row-level security.
   A view, written into the serving copy by the publish date by date (publish.py, meta
   published_by_date), like srv_customer_tag. #}
with

precredit as (

    select biz_date, cust_no, admitted, reject_reason, score, limit_amt
    from {{ ref('precredit') }}

),

{{ customer_owner_ctes() }},

final as (

    select
        precredit.biz_date,
        strftime(precredit.biz_date, '%Y-%m-%d') as biz_dt,
        precredit.cust_no,
        owners.cust_type,
        {{ decode_code('cust_type', 'owners.cust_type') }} as cust_type_name,
        precredit.admitted,
        case when precredit.admitted then '准入' else '未准入' end as admitted_name,
        precredit.reject_reason,
        {{ decode_code('reject_reason', 'precredit.reject_reason') }} as reject_reason_name,
        precredit.score,
        precredit.limit_amt,
        {{ owner_columns() }}
    from precredit
    inner join owners
        on owners.biz_date = precredit.biz_date and owners.cust_no = precredit.cust_no

)

select * from final
