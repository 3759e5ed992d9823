{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# One row per visit with the visiting manager's org path of D (fct_visit_points),
    in the serving layer's path convention (org_path_names): a physical table the
    走访 map and tables read without expanding paths in Superset. #}
with

points as (

    select * from {{ ref('fct_visit_points') }}
    where biz_date >= {{ build_from_date() }}

),

paths as (

    select biz_date, org_no, org_level, lvl2_org_name, lvl3_org_name, lvl4_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        points.biz_date,
        strftime(points.biz_date, '%Y-%m-%d') as biz_dt,
        points.visit_id,
        points.mgr_no,
        points.mgr_name,
        points.org_no,
        points.org_name,
        paths.org_level,
        {{ org_path_names('paths') }},
        points.lvl2_org_no,
        points.lvl3_org_no,
        points.grid_no,
        points.grid_name,
        points.lon,
        points.lat,
        points.visit_type_label as visit_type_name,
        points.outcome_label as outcome_name,
        points.is_converted,
        points.satisfaction
    from points
    left join paths on paths.biz_date = points.biz_date and paths.org_no = points.org_no

)

select * from final
