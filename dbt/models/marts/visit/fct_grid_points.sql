{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 网格点位: one row per grid and date with its centre point (GRID.center_lon/lat),
   household count and the org path of GRID.org_no on D (grids roll up by
   GRID.org_no, indicators.md), for the second layer of the visit map. #}
with

grids as (

    select biz_date, grid_no, grid_name, org_no, mgr_no, household_cnt, center_lon, center_lat
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
        grids.biz_date,
        grids.grid_no,
        grids.grid_name,
        grids.org_no,
        paths.org_name,
        paths.lvl2_org_no,
        paths.lvl2_org_name,
        paths.lvl3_org_no,
        paths.lvl3_org_name,
        paths.lvl4_org_name,
        grids.mgr_no,
        grids.household_cnt,
        cast(grids.center_lon as double) as lon,
        cast(grids.center_lat as double) as lat
    from grids
    left join paths on paths.biz_date = grids.biz_date and paths.org_no = grids.org_no

)

select * from final
