{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 客户经理考核: each active manager's published indicators scored against the
   bank's targets and weights (seeds scorecard_targets / scorecard_weights, by
   post type, editable without touching SQL). Achievement = value / target for
   higher-is-better indicators and target / value for higher-is-worse ones (by the
   dictionary's direction), capped at 1.5 so one indicator cannot carry the card;
   score = weight x achievement x 100. A NULL value scores 0. #}
with

values_ as (

    select biz_date, mgr_no, indicator_code, value
    from {{ ref('mgr_indicator_value') }}
    where biz_date >= {{ build_from_date() }}

),

managers as (

    select biz_date, mgr_no, mgr_name, org_no, post_type, post_type_label
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }} and mgr_status = '1'

),

weights as (

    select post_type, indicator_code, weight from {{ ref('scorecard_weights') }}

),

targets as (

    select post_type, indicator_code, target_value from {{ ref('scorecard_targets') }}

),

directions as (

    select indicator_code, direction from {{ ref('indicator_dictionary') }}

),

scored as (

    select
        managers.biz_date,
        managers.mgr_no,
        managers.mgr_name,
        managers.org_no,
        managers.post_type,
        managers.post_type_label,
        weights.indicator_code,
        values_.value,
        targets.target_value,
        weights.weight,
        case
            when values_.value is null or targets.target_value is null then 0.0
            when directions.direction = 'bad' and values_.value <= 0 then 1.5
            when directions.direction = 'bad' then least(targets.target_value / values_.value, 1.5)
            when targets.target_value = 0 then 1.5
            else least(greatest(values_.value / targets.target_value, 0.0), 1.5)
        end as achievement
    from managers
    inner join weights on weights.post_type = managers.post_type
    left join targets
        on targets.post_type = weights.post_type and targets.indicator_code = weights.indicator_code
    left join directions on directions.indicator_code = weights.indicator_code
    left join values_
        on values_.biz_date = managers.biz_date and values_.mgr_no = managers.mgr_no
        and values_.indicator_code = weights.indicator_code

),

final as (

    select
        scored.*,
        round(scored.weight * scored.achievement * 100, 6) as score,
        -- summed as decimals: a sum of doubles depends on the order rows arrive in,
        -- and rounding it to 6 places still flipped the last place for 20 of 273,943
        -- rows of 30 bank dates rebuilt in another order; a rebuild must give the same
        -- card as the night it was first built
        cast(round(sum(cast(scored.weight * scored.achievement * 100 as decimal(38, 12))) over (
            partition by scored.biz_date, scored.mgr_no
        ), 6) as double) as total_score
    from scored

)

select * from final
