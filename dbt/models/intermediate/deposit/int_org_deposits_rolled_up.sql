{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Deposit balances per org and date, rolled up the org tree of that date
    (indicators.md "Org roll-up": deposits by DEP_ACCT.org_no). One row for
    every org in ORG_INFO on D; empty sums are 0. #}
with

closure as (

    select biz_date, ancestor_org_no, org_no from {{ ref('int_org_closure') }}
    where biz_date >= {{ build_from_date() }}

),

booked as (

    select
        biz_date,
        org_no,
        sum(balance_cny) as dep_bal,
        sum(case when is_personal then balance_cny else 0 end) as dep_bal_personal,
        sum(case when is_corporate then balance_cny else 0 end) as dep_bal_corp,
        sum(case when is_demand then balance_cny else 0 end) as dep_bal_demand
    from {{ ref('int_deposit_balances_booked') }}
    where biz_date >= {{ build_from_date() }}
    group by biz_date, org_no

),

final as (

    {% call roll_up_to_ancestors('booked') -%}
        coalesce(sum(booked.dep_bal), 0) as dep_bal,
        coalesce(sum(booked.dep_bal_personal), 0) as dep_bal_personal,
        coalesce(sum(booked.dep_bal_corp), 0) as dep_bal_corp,
        coalesce(sum(booked.dep_bal_demand), 0) as dep_bal_demand
    {%- endcall %}

)

select * from final
