{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 客户标签 (customer-ops.md §3): one row per D, customer and tag held. Each tag's rule
   is its flag in int_customers_profiled (customer_tags()); published as customer_tag. #}
with

profiled as (

    select * from {{ ref('int_customers_profiled') }}
    where biz_date >= {{ build_from_date() }}

),

held as (

    {%- for tag_code, flag in customer_tags() %}
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
