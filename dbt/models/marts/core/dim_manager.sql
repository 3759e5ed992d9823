-- depends_on: {{ ref('int_loaded_dates') }}
{# Customer managers in their latest delivered state with post and org path
   (the phone, PII, is not carried). #}
with

managers as (

    select * from {{ ref('stg_t1__customer_managers') }}

),

latest as (

    select managers.*
    from managers
    where managers.biz_date = {{ latest_loaded_date() }}

),

paths as (

    select * from {{ ref('int_org_paths') }}

),

final as (

    select
        latest.mgr_no,
        latest.mgr_name,
        latest.org_no,
        paths.org_name,
        paths.lvl2_org_no,
        paths.lvl2_org_name,
        paths.lvl3_org_no,
        paths.lvl3_org_name,
        latest.post_type,
        latest.post_type_label,
        latest.mgr_status,
        latest.mgr_status_label,
        latest.hire_date,
        latest.biz_date as as_of_date
    from latest
    left join paths on paths.biz_date = latest.biz_date and paths.org_no = latest.org_no

)

select * from final
