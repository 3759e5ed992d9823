{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 客户标签 for the 客户经营 dashboard (issue 15): one row per D, customer and tag held
   (customer_tag, customer-ops.md §3) with the tag's 名称, the customer's owner on D
   (customer_profile: CUST_INFO.mgr_no and its CUST_MGR.org_no, §1) and that org's
   path of D in the serving layer's convention, so row-level security restricts it by
   lvl2_org_no / lvl3_org_no like every dataset. Σ rows per tag = its holders; an
   analyst picks a target group here. #}
with

tags as (

    select biz_date, cust_no, tag_code from {{ ref('customer_tag') }}
    where biz_date >= {{ build_from_date() }}

),

owners as (

    select biz_date, cust_no, mgr_no, org_no from {{ ref('customer_profile') }}
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
        tags.biz_date,
        strftime(tags.biz_date, '%Y-%m-%d') as biz_dt,
        tags.cust_no,
        tags.tag_code,
        {{ decode_code('tag_code', 'tags.tag_code') }} as tag_name,
        owners.mgr_no,
        managers.mgr_name,
        {{ mgr_label('owners.mgr_no', 'managers.mgr_name') }} as mgr_label,
        owners.org_no,
        paths.org_name,
        paths.org_level,
        {{ owner_path_names('paths') }},
        paths.lvl2_org_no,
        paths.lvl3_org_no
    from tags
    inner join owners on owners.biz_date = tags.biz_date and owners.cust_no = tags.cust_no
    left join managers on managers.biz_date = owners.biz_date and managers.mgr_no = owners.mgr_no
    left join paths on paths.biz_date = owners.biz_date and paths.org_no = owners.org_no

)

select * from final
