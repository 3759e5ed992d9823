{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Each org's ancestors at levels 1-4 on D (province → legal entity → sub-branch →
   outlet), from the closure of that date: the drill path of dashboards and the
   scope of row-level security. #}
with

closure as (

    select biz_date, ancestor_org_no, org_no from {{ ref('int_org_closure') }}
    where biz_date >= {{ build_from_date() }}

),

orgs as (

    select biz_date, org_no, org_name, org_level, org_status, parent_org_no, legal_org_no,
        region_code, open_date
    from {{ ref('stg_t1__orgs') }}
    where biz_date >= {{ build_from_date() }}

),

ancestors as (

    select closure.biz_date, closure.org_no, ancestor.org_level, ancestor.org_no as ancestor_org_no,
        ancestor.org_name as ancestor_org_name
    from closure
    inner join orgs as ancestor
        on ancestor.biz_date = closure.biz_date and ancestor.org_no = closure.ancestor_org_no

),

pivoted as (

    select
        biz_date,
        org_no,
        max(case when org_level = 1 then ancestor_org_no end) as lvl1_org_no,
        max(case when org_level = 1 then ancestor_org_name end) as lvl1_org_name,
        max(case when org_level = 2 then ancestor_org_no end) as lvl2_org_no,
        max(case when org_level = 2 then ancestor_org_name end) as lvl2_org_name,
        max(case when org_level = 3 then ancestor_org_no end) as lvl3_org_no,
        max(case when org_level = 3 then ancestor_org_name end) as lvl3_org_name,
        max(case when org_level = 4 then ancestor_org_no end) as lvl4_org_no,
        max(case when org_level = 4 then ancestor_org_name end) as lvl4_org_name
    from ancestors
    group by biz_date, org_no

),

final as (

    select
        orgs.biz_date,
        orgs.org_no,
        orgs.org_name,
        orgs.org_level,
        orgs.org_status,
        orgs.parent_org_no,
        orgs.legal_org_no,
        orgs.region_code,
        orgs.open_date,
        pivoted.lvl1_org_no,
        pivoted.lvl1_org_name,
        pivoted.lvl2_org_no,
        pivoted.lvl2_org_name,
        pivoted.lvl3_org_no,
        pivoted.lvl3_org_name,
        pivoted.lvl4_org_no,
        pivoted.lvl4_org_name
    from orgs
    inner join pivoted on pivoted.biz_date = orgs.biz_date and pivoted.org_no = orgs.org_no

)

select * from final
