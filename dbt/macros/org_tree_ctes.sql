{#- The two import CTEs of every mart rolled up the org tree, for the dates being
    built: `closure` (int_org_closure: each org with all its ancestors, itself
    included) and `active_orgs` (orgs with status 1 on D, the ones that get rows). -#}
{% macro org_tree_ctes() -%}
closure as (

    select biz_date, ancestor_org_no, org_no from {{ ref('int_org_closure') }}
    where biz_date >= {{ build_from_date() }}

),

active_orgs as (

    select biz_date, org_no from {{ ref('stg_t1__orgs') }}
    where biz_date >= {{ build_from_date() }} and org_status = '1'

)
{%- endmacro %}
