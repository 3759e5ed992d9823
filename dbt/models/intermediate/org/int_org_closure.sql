{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Closure of the ORG_INFO tree per business date: one row per (ancestor, org)
    including the org itself. indicators.md "Org roll-up": an org's value covers
    every record booked at it or below it by the parent links ON D. #}
with recursive

orgs as (

    select biz_date, org_no, parent_org_no
    from {{ ref('stg_t1__orgs') }}
    where biz_date >= {{ build_from_date() }}

),

closure as (

    select biz_date, org_no as ancestor_org_no, org_no, 0 as depth
    from orgs

    union all

    select closure.biz_date, orgs.parent_org_no as ancestor_org_no, closure.org_no, closure.depth + 1
    from closure
    inner join orgs
        on orgs.biz_date = closure.biz_date and orgs.org_no = closure.ancestor_org_no
    where orgs.parent_org_no is not null and orgs.parent_org_no <> ''
        and closure.depth < 8  -- four levels in the spec; guards against a cycle

),

final as (

    select closure.biz_date, closure.ancestor_org_no, closure.org_no, closure.depth
    from closure
    -- an ancestor missing from ORG_INFO on D has no value to publish
    where exists (
        select 1 from orgs
        where orgs.biz_date = closure.biz_date and orgs.org_no = closure.ancestor_org_no
    )

)

select * from final
