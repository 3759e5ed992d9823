{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# One row per grid (centre point, households) with its org path of D. #}
with

grids as (

    select * from {{ ref('fct_grid_points') }}
    where biz_date >= {{ build_from_date() }}

),

paths as (

    select biz_date, org_no, org_level, lvl2_org_name, lvl3_org_name, lvl4_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        grids.biz_date,
        strftime(grids.biz_date, '%Y-%m-%d') as biz_dt,
        grids.grid_no,
        grids.grid_name,
        grids.org_no,
        grids.org_name,
        paths.org_level,
        {{ org_path_names('paths') }},
        grids.lvl2_org_no,
        grids.lvl3_org_no,
        grids.household_cnt,
        grids.lon,
        grids.lat
    from grids
    left join paths on paths.biz_date = grids.biz_date and paths.org_no = grids.org_no

)

select * from final
