{# Manager scorecards (fct_mgr_scorecard) with the indicator's dictionary name and
    the manager's org path of D: one row per (D, manager, scorecard indicator). #}
with

scorecards as (

    select * from {{ ref('fct_mgr_scorecard') }}

),

dictionary as (

    select indicator_code, name_zh from {{ ref('indicator_dictionary') }}

),

paths as (

    select * from {{ ref('int_org_paths') }}

),

final as (

    select
        scorecards.biz_date,
        strftime(scorecards.biz_date, '%Y-%m-%d') as biz_dt,
        scorecards.mgr_no,
        scorecards.mgr_name,
        scorecards.org_no,
        paths.org_name as mgr_org_name,
        paths.org_level,
        {{ org_path_names('paths') }},
        paths.lvl2_org_no,
        paths.lvl3_org_no,
        scorecards.post_type_label as post_type_name,
        scorecards.indicator_code,
        dictionary.name_zh as indicator_name,
        scorecards.value,
        scorecards.target_value,
        scorecards.weight,
        scorecards.achievement,
        scorecards.score,
        scorecards.total_score
    from scorecards
    left join dictionary on dictionary.indicator_code = scorecards.indicator_code
    left join paths on paths.biz_date = scorecards.biz_date and paths.org_no = scorecards.org_no

)

select * from final
