{{ config(materialized='view', meta={'published_by_date': true}) }}
{# 客户标签 for the 客户经营 dashboard (issue 15): one row per D, customer and tag held
   (customer_tag, customer-ops.md §3) with the tag's 名称, the customer's owner on D
   (customer_owner_ctes: customer_profile's mgr_no and org_no, §1) and that org's path
   of D in the serving layer's convention, so row-level security restricts it by
   lvl2_org_no / lvl3_org_no like every dataset. Σ rows per tag = its holders; an
   analyst picks a target group here.
   A view (issue 15's night budget): the night writes customer_tag and the owners
   once (int_customer_owners, a few thousand rows a date), and the publish writes this
   table into the serving copy, date by date (publish.py, meta published_by_date). #}
with

tags as (

    select biz_date, cust_no, tag_code from {{ ref('customer_tag') }}

),

{{ customer_owner_ctes() }},

final as (

    select
        tags.biz_date,
        strftime(tags.biz_date, '%Y-%m-%d') as biz_dt,
        tags.cust_no,
        tags.tag_code,
        {{ decode_code('tag_code', 'tags.tag_code') }} as tag_name,
        {{ owner_columns() }}
    from tags
    inner join owners on owners.biz_date = tags.biz_date and owners.cust_no = tags.cust_no

)

select * from final
