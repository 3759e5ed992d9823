{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Regular-premium policies on D with the lapse attributes of indicators.md
    "Bancassurance policy lapse". Single-premium (趸交, pay_freq 1) policies are
    left out of every lapse indicator, so they are left out here. #}
with

policies as (

    select *
    from {{ ref('stg_t1__policies') }}
    where biz_date >= {{ build_from_date() }} and pay_freq in ('2', '3')

),

followup_visits as (

    select distinct policy_no, visit_date
    from {{ ref('stg_t1__visits') }}
    where visit_type = '4' and policy_no is not null

),

assessed as (

    select
        policies.biz_date,
        policies.policy_no,
        policies.org_no,
        policies.seller_no,
        policies.cust_no,
        policies.insurer_cd,
        policies.ins_prod_cd,
        policies.pay_freq,
        policies.premium,
        -- annualised premium = premium x 12 for pay_freq 3 (月交), premium for 2 (年交)
        -- (widened: x 12 must not overflow a DECIMAL(18,2) premium the spec allows)
        cast(policies.premium as decimal(38, 2))
            * case when policies.pay_freq = '3' then 12 else 1 end as annualised_premium,
        policies.policy_status,
        policies.status_date,
        policies.lapse_reason,
        policies.next_due_date,
        policies.policy_status in ('1', '2', '4') as is_in_force,
        policies.policy_status = '2' as is_in_grace,
        policies.policy_status = '3' as is_lapsed,
        -- RENEWAL_DUE_30D: D < next_due_date <= D + 30 days
        (policies.policy_status in ('1', '2', '4')
         and policies.next_due_date > policies.biz_date
         and policies.next_due_date <= {{ dbt.dateadd('day', 30, 'policies.biz_date') }})
            as is_renewal_due_30d,
        -- LAPSE_FOLLOWUP_RATE: a visit_type 4 visit for the policy dated from its
        -- status_date to D
        (policies.policy_status = '3' and exists (
            select 1 from followup_visits
            where followup_visits.policy_no = policies.policy_no
                and followup_visits.visit_date >= policies.status_date
                and followup_visits.visit_date <= policies.biz_date
        )) as is_followed_up
    from policies

),

final as (

    select * from assessed

)

select * from final
