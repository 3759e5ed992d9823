{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Every owner a customer has on D (customer-ops.md §1: CUST_INFO.mgr_no and that
   manager's CUST_MGR.org_no; either may be empty), named once: the manager's name and
   filter label and the owner org's path of D with the row-level-security columns
   (owner_label_columns). One row per D and (mgr_no, org_no) pair, a few thousand a
   bank: the 客户经营 serving views (srv_customer_tag, srv_precredit) join a
   customer's (mgr_no, org_no) here, null-safe, instead of carrying these eleven
   columns on every one of a million rows a date. #}
with

owner_keys as (

    select distinct biz_date, mgr_no, org_no
    from {{ ref('int_customers_profiled') }}
    where biz_date >= {{ build_from_date() }}

),

{{ owner_label_ctes() }},

final as (

    select
        owner_keys.biz_date,
        {{ owner_label_columns('owner_keys') }}
    from owner_keys
    {{ owner_label_joins('owner_keys') }}

)

select * from final
