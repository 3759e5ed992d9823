{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Policy-lapse measures per org and date, rolled up the org tree of that date by
    INS_POLICY.org_no (indicators.md "Org roll-up"). #}
with

closure as (

    select biz_date, ancestor_org_no, org_no from {{ ref('int_org_closure') }}
    where biz_date >= {{ build_from_date() }}

),

policies as (

    select * from {{ ref('int_policies_assessed') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    {% call roll_up_to_ancestors('policies') -%}
        count(case when policies.is_in_force then 1 end) as policy_inforce_cnt,
        count(case when policies.is_in_grace then 1 end) as policy_grace_cnt,
        count(case when policies.is_lapsed then 1 end) as policy_lapsed_cnt,
        count(case when policies.is_followed_up then 1 end) as policy_followed_up_cnt,
        coalesce(sum(case when policies.is_lapsed then policies.annualised_premium end), 0)
            as lapsed_annualised_premium,
        coalesce(sum(case when policies.policy_status in ('1', '2', '3', '4')
                          then policies.annualised_premium end), 0) as base_annualised_premium,
        coalesce(sum(case when policies.is_renewal_due_30d then policies.premium end), 0)
            as renewal_due_30d
    {%- endcall %}

)

select * from final
