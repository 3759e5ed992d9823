{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 客户标签 (customer-ops.md §3): one row per D, customer and tag held. Each tag's rule
   is its flag in int_customers_profiled; published as customer_tag. #}
{%- set tag_flags = [
    ('FARMER', 'is_farmer'),
    ('MICRO_OWNER', 'is_micro_owner'),
    ('BORROWER', 'is_borrower'),
    ('CREDIT_UNUSED', 'is_credit_unused'),
    ('NPL', 'is_npl'),
    ('MOBILE_ACTIVE', 'is_mobile_active'),
    ('DORMANT', 'is_dormant'),
    ('SENIOR', 'is_senior'),
    ('VISITED_90D', 'is_visited_90d'),
    ('POLICY_HOLDER', 'is_policy_holder'),
    ('HIGH_VALUE', 'is_high_value'),
] %}
with

profiled as (

    select * from {{ ref('int_customers_profiled') }}
    where biz_date >= {{ build_from_date() }}

),

held as (

    {%- for tag_code, flag in tag_flags %}
    select biz_date, cust_no, '{{ tag_code }}' as tag_code from profiled where {{ flag }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select biz_date, cust_no, tag_code from held

)

select * from final
