{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 预授信白名单 for the 客户经营 dashboard (issue 15): one row per D and customer of
   cust_type 1 or 3 (precredit, customer-ops.md §5) with the reject reason's 名称, the
   customer's owner on D (customer_profile, §1) and that org's path of D, so the
   whitelist counts, limits and rejections read per org under row-level security. #}
with

precredit as (

    select biz_date, cust_no, admitted, reject_reason, score, limit_amt
    from {{ ref('precredit') }}
    where biz_date >= {{ build_from_date() }}

),

owners as (

    select biz_date, cust_no, cust_type, mgr_no, org_no from {{ ref('customer_profile') }}
    where biz_date >= {{ build_from_date() }}

),

managers as (

    select biz_date, mgr_no, mgr_name from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

paths as (

    select biz_date, org_no, org_name, org_level, lvl2_org_no, lvl2_org_name, lvl3_org_no,
        lvl3_org_name, lvl4_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

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
        owners.mgr_no,
        managers.mgr_name,
        {{ mgr_label('owners.mgr_no', 'managers.mgr_name') }} as mgr_label,
        owners.org_no,
        paths.org_name,
        paths.org_level,
        {{ owner_path_names('paths') }},
        paths.lvl2_org_no,
        paths.lvl3_org_no
    from precredit
    inner join owners
        on owners.biz_date = precredit.biz_date and owners.cust_no = precredit.cust_no
    left join managers on managers.biz_date = owners.biz_date and managers.mgr_no = owners.mgr_no
    left join paths on paths.biz_date = owners.biz_date and paths.org_no = owners.org_no

)

select * from final
