{{ config(materialized='view', meta={'published_by_date': true}) }}
{# 客户标签 (customer-ops.md §3): one row per D, customer and tag held. Each tag's rule
   is its flag in int_customers_profiled (customer_tags()); published as customer_tag.
   A view, like customer_profile: the flags are written once a night, and the publish
   writes these rows into the serving copy date by date. #}
with

profiled as (

    select * from {{ ref('int_customers_profiled') }}

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
