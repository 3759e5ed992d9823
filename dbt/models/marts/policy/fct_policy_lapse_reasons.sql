{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 失效原因: lapsed regular-premium policies (status 3) per org (rolled up the tree
   of D by INS_POLICY.org_no) and lapse reason, with their annualised premium and
   how many were followed up (indicators.md LAPSE_FOLLOWUP_RATE). The counts sum
   to the published POLICY_LAPSED_CNT. #}
with

{{ org_tree_ctes() }},

lapsed as (

    select biz_date, org_no, coalesce(lapse_reason, '99') as lapse_reason, annualised_premium,
        is_followed_up
    from {{ ref('int_policies_assessed') }}
    where biz_date >= {{ build_from_date() }} and is_lapsed

),

final as (

    select
        lapsed.biz_date,
        closure.ancestor_org_no as org_no,
        lapsed.lapse_reason,
        {{ decode_code('lapse_reason', 'lapsed.lapse_reason') }} as lapse_reason_label,
        count(*) as lapsed_cnt,
        count(case when lapsed.is_followed_up then 1 end) as followed_up_cnt,
        cast(sum(lapsed.annualised_premium) as double) as lapsed_annualised_premium
    from lapsed
    inner join closure on closure.biz_date = lapsed.biz_date and closure.org_no = lapsed.org_no
    inner join active_orgs
        on active_orgs.biz_date = closure.biz_date and active_orgs.org_no = closure.ancestor_org_no
    group by lapsed.biz_date, closure.ancestor_org_no, lapsed.lapse_reason

)

select * from final
