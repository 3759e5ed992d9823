{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 走访地图: one row per visit with its GPS point, the visiting manager and the
   manager's org path on D (visits roll up by the visiting manager's org on D,
   indicators.md). The free-text note is left out: it may hold personal data. #}
with

visits as (

    select biz_date, visit_id, mgr_no, cust_no, grid_no, visited_at, lon, lat, visit_type,
        visit_type_label, outcome, outcome_label, satisfaction, photo_cnt
    from {{ ref('stg_t1__visits') }}
    where biz_date >= {{ build_from_date() }}

),

managers as (

    select biz_date, mgr_no, mgr_name, org_no
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

grids as (

    select biz_date, grid_no, grid_name
    from {{ ref('stg_t1__grids') }}
    where biz_date >= {{ build_from_date() }}

),

paths as (

    select biz_date, org_no, org_name, lvl2_org_no, lvl2_org_name, lvl3_org_no, lvl3_org_name,
        lvl4_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        visits.biz_date,
        visits.visit_id,
        visits.visited_at,
        visits.mgr_no,
        managers.mgr_name,
        managers.org_no,
        paths.org_name,
        paths.lvl2_org_no,
        paths.lvl2_org_name,
        paths.lvl3_org_no,
        paths.lvl3_org_name,
        paths.lvl4_org_name,
        visits.grid_no,
        grids.grid_name,
        visits.cust_no is not null and visits.cust_no <> '' as has_customer,
        cast(visits.lon as double) as lon,
        cast(visits.lat as double) as lat,
        visits.visit_type,
        visits.visit_type_label,
        visits.outcome,
        visits.outcome_label,
        visits.outcome in ('3', '4') as is_converted,
        visits.satisfaction,
        visits.photo_cnt
    from visits
    left join managers on managers.biz_date = visits.biz_date and managers.mgr_no = visits.mgr_no
    left join grids on grids.biz_date = visits.biz_date and grids.grid_no = visits.grid_no
    left join paths on paths.biz_date = visits.biz_date and paths.org_no = managers.org_no

)

select * from final
