{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 标签重叠 (issue 15): for each D, owner (manager and org, with the org's path) and
   ordered pair of tags (A, B), the customers holding both; A = B gives the holders of
   A. Counted per owner, so Σ over any set of owners is that set's count (a customer
   has one owner on D) while the table stays orgs × managers × 121 pairs a day, not a
   row per customer and pair. The 客户经营 tag × tag matrix reads it. #}
with

tags as (

    select * from {{ ref('srv_customer_tag') }}
    where biz_date >= {{ build_from_date() }}

),

pairs as (

    select
        tag_a.biz_date,
        tag_a.biz_dt,
        tag_a.mgr_no,
        tag_a.mgr_name,
        tag_a.mgr_label,
        tag_a.org_no,
        tag_a.org_name,
        tag_a.org_level,
        tag_a.lvl2_org_name,
        tag_a.lvl3_org_name,
        tag_a.lvl4_org_name,
        tag_a.lvl2_org_no,
        tag_a.lvl3_org_no,
        tag_a.tag_code as tag_a_code,
        tag_a.tag_name as tag_a_name,
        tag_b.tag_code as tag_b_code,
        tag_b.tag_name as tag_b_name,
        tag_a.cust_no
    from tags as tag_a
    inner join tags as tag_b
        on tag_b.biz_date = tag_a.biz_date and tag_b.cust_no = tag_a.cust_no

),

final as (

    select
        biz_date,
        biz_dt,
        mgr_no,
        mgr_name,
        mgr_label,
        org_no,
        org_name,
        org_level,
        lvl2_org_name,
        lvl3_org_name,
        lvl4_org_name,
        lvl2_org_no,
        lvl3_org_no,
        tag_a_code,
        tag_a_name,
        tag_b_code,
        tag_b_name,
        count(*) as cust_cnt
    from pairs
    group by all

)

select * from final
