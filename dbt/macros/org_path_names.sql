{#- The drill path 法人行社 / 支行 / 网点 of a serving row's own org (int_org_paths of
    the row's date). A level the org sits above shows as （本级） under its parent, so
    a group-by never shows a blank and never a 全部 row: 全部 is what no filter means.
    The province itself (level 1) has no 法人行社: its own records show as 省联社本级. -#}
{% macro org_path_names(rel) -%}
    coalesce({{ rel }}.lvl2_org_name, '（省联社本级）') as lvl2_org_name,
        case when {{ rel }}.lvl3_org_name is not null then {{ rel }}.lvl3_org_name
             when {{ rel }}.org_level >= 2 then '（本级）' end as lvl3_org_name,
        case when {{ rel }}.lvl4_org_name is not null then {{ rel }}.lvl4_org_name
             when {{ rel }}.org_level >= 2 then '（本级）' end as lvl4_org_name
{%- endmacro %}

{#- The same path for a customer-operations row, whose org is the customer's owner
    (customer-ops.md §1): CUST_INFO.mgr_no may be empty and is not checked against
    CUST_MGR, so a customer can have no owner org on D. Such a row reads
    （无管户机构）, not 省联社本级; with no lvl2_org_no, row-level security shows it
    to province-wide readers only. `rel` is int_org_paths joined on the owner org. -#}
{% macro owner_path_names(rel) -%}
    case when {{ rel }}.org_no is null then '（无管户机构）'
         else coalesce({{ rel }}.lvl2_org_name, '（省联社本级）') end as lvl2_org_name,
        case when {{ rel }}.lvl3_org_name is not null then {{ rel }}.lvl3_org_name
             when {{ rel }}.org_level >= 2 then '（本级）' end as lvl3_org_name,
        case when {{ rel }}.lvl4_org_name is not null then {{ rel }}.lvl4_org_name
             when {{ rel }}.org_level >= 2 then '（本级）' end as lvl4_org_name
{%- endmacro %}

{#- A manager as one filter option: 赵玉兰（M0000001）. Names repeat in a bank, numbers
    do not; a customer with no manager reads （无管户客户经理）. -#}
{% macro mgr_label(mgr_no, mgr_name) -%}
    case when coalesce({{ mgr_no }}, '') = '' then '（无管户客户经理）'
         else coalesce({{ mgr_name }}, '') || '（' || {{ mgr_no }} || '）' end
{%- endmacro %}

{#- The import CTEs `owner_managers` and `owner_paths` of the dates being built: what
    names an owner (customer-ops.md §1: CUST_INFO.mgr_no and its CUST_MGR.org_no), in
    int_customer_owners only; every 客户经营 serving table joins that. -#}
{% macro owner_label_ctes() -%}
owner_managers as (

    select biz_date, mgr_no, mgr_name from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

owner_paths as (

    select biz_date, org_no, org_name, org_level, lvl2_org_no, lvl2_org_name, lvl3_org_no,
        lvl3_org_name, lvl4_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

)
{%- endmacro %}

{#- The owner columns of a row of `rel` (biz_date, mgr_no, org_no), named through
    owner_label_ctes(): the manager's name and filter label and the owner org's path of
    D (owner_path_names) with the row-level-security columns. -#}
{% macro owner_label_columns(rel) -%}
    {{ rel }}.mgr_no,
        owner_managers.mgr_name,
        {{ mgr_label(rel ~ '.mgr_no', 'owner_managers.mgr_name') }} as mgr_label,
        {{ rel }}.org_no,
        owner_paths.org_name,
        owner_paths.org_level,
        {{ owner_path_names('owner_paths') }},
        owner_paths.lvl2_org_no,
        owner_paths.lvl3_org_no
{%- endmacro %}

{% macro owner_label_joins(rel) -%}
    left join owner_managers
        on owner_managers.biz_date = {{ rel }}.biz_date
        and owner_managers.mgr_no = {{ rel }}.mgr_no
    left join owner_paths
        on owner_paths.biz_date = {{ rel }}.biz_date
        and owner_paths.org_no = {{ rel }}.org_no
{%- endmacro %}

{#- The import CTE `owner_labels`: int_customer_owners, every owner of a date named
    once (owner_label_columns), from `from_date` on (a SQL date literal; none: every
    date, for a view). -#}
{% macro owner_labels_cte(from_date=none) -%}
owner_labels as (

    select * from {{ ref('int_customer_owners') }}
    {%- if from_date %}
    where biz_date >= {{ from_date }}
    {%- endif %}

)
{%- endmacro %}

{#- Join `owner_labels` to the rows of `rel` (biz_date, mgr_no, org_no): exactly one
    match, null-safe, since either number may be empty (customer-ops.md §1). -#}
{% macro owner_labels_join(rel) -%}
    left join owner_labels
        on owner_labels.biz_date = {{ rel }}.biz_date
        and owner_labels.mgr_no is not distinct from {{ rel }}.mgr_no
        and owner_labels.org_no is not distinct from {{ rel }}.org_no
{%- endmacro %}

{#- The import CTE `owners` of the 客户经营 serving views: each customer on D
    (customer_profile) with their owner (CUST_INFO.mgr_no and its CUST_MGR.org_no,
    customer-ops.md §1) named in int_customer_owners. Every date: the views are
    filtered by whoever reads them (the publish, a data test). -#}
{% macro customer_owner_ctes() -%}
owner_profiles as (

    select biz_date, cust_no, cust_type, mgr_no, org_no from {{ ref('customer_profile') }}

),

{{ owner_labels_cte() }},

owners as (

    select
        owner_profiles.biz_date,
        owner_profiles.cust_no,
        owner_profiles.cust_type,
        {{ owner_columns('owner_labels') }}
    from owner_profiles
    {{ owner_labels_join('owner_profiles') }}

)
{%- endmacro %}

{#- The owner columns of a serving row, from the `owners` CTE (customer_owner_ctes). -#}
{% macro owner_columns(rel='owners') -%}
    {{ rel }}.mgr_no,
        {{ rel }}.mgr_name,
        {{ rel }}.mgr_label,
        {{ rel }}.org_no,
        {{ rel }}.org_name,
        {{ rel }}.org_level,
        {{ rel }}.lvl2_org_name,
        {{ rel }}.lvl3_org_name,
        {{ rel }}.lvl4_org_name,
        {{ rel }}.lvl2_org_no,
        {{ rel }}.lvl3_org_no
{%- endmacro %}
