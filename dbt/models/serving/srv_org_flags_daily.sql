{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Flag indicators (unit 标志, dictionary aggregation "flag"): a yes/no judgement of
    one org, which no sum or ratio of its parts gives. One row per (D, active org)
    with the published flag, its reading (达标 / 未达标) and, when the contract makes it
    NULL, why. The Superset metric takes it only at the org level the dictionary
    names for the flag and refuses (NULL) every other grouping. #}
with

indicators as (

    select biz_date, org_no, org_level, two_increase_met, incl_growth_ytd, loan_growth_ytd,
        incl_cust_ytd_chg
    from {{ ref('fct_org_indicators_daily') }}
    where biz_date >= {{ build_from_date() }}

),

loaded_dates as (

    select biz_date, is_prev_year_end_loaded from {{ ref('int_loaded_dates') }}

),

paths as (

    select * from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        indicators.biz_date,
        strftime(indicators.biz_date, '%Y-%m-%d') as biz_dt,
        indicators.org_no,
        paths.org_name,
        indicators.org_level,
        {{ org_path_names('paths') }},
        paths.lvl2_org_no,
        paths.lvl3_org_no,
        indicators.two_increase_met,
        case indicators.two_increase_met when 1 then '达标' when 0 then '未达标' else '—' end
            as two_increase_met_label,
        case
            when indicators.two_increase_met is not null then null
            when not loaded_dates.is_prev_year_end_loaded
                then '上年末（12月31日）数据未加载，两增无法判定'
            when indicators.incl_growth_ytd is null
                then '年初普惠贷款余额为0，普惠贷款增速无定义'
            when indicators.loan_growth_ytd is null
                then '年初各项贷款余额为0，各项贷款增速无定义'
            else '两增输入指标为空'
        end as two_increase_met_note
    from indicators
    inner join loaded_dates on loaded_dates.biz_date = indicators.biz_date
    inner join paths on paths.biz_date = indicators.biz_date and paths.org_no = indicators.org_no

)

select * from final
