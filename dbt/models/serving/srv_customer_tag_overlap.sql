{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 标签重叠 (issue 15): for each D, owner (manager and org, with the org's path) and
   ordered pair of tags (A, B), the customers holding both; A = B gives the holders of
   A. Counted per owner, so Σ over any set of owners is that set's count (a customer
   has one owner on D) while the table stays orgs × managers × 121 pairs a day, not a
   row per customer and pair. The 客户经营 tag × tag matrix reads it.

   Customers are first counted per owner and tag set (the bit mask of customer_tags()
   flags, the tags customer_tag lists): a few thousand rows a day instead of a pair per
   customer. Each set then counts once for every pair both of whose bits it holds, and
   the owner's names and path join last, on the few rows left. #}
with

masks as (

    select
        biz_date,
        mgr_no,
        org_no,
        {{ customer_tag_mask('profiled') }} as tag_mask,
        count(*) as cust_cnt
    from {{ ref('int_customers_profiled') }} as profiled
    where biz_date >= {{ build_from_date() }}
    group by all
    having tag_mask <> 0

),

tag_bits as (

    {%- for tag_code, flag in customer_tags() %}
    select '{{ tag_code }}' as tag_code, {{ 2 ** loop.index0 }} as bit
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

tag_pairs as (

    select
        tag_a.tag_code as tag_a_code,
        {{ decode_code('tag_code', 'tag_a.tag_code') }} as tag_a_name,
        tag_b.tag_code as tag_b_code,
        {{ decode_code('tag_code', 'tag_b.tag_code') }} as tag_b_name,
        tag_a.bit | tag_b.bit as bits
    from tag_bits as tag_a
    cross join tag_bits as tag_b

),

pair_counts as (

    select
        masks.biz_date,
        masks.mgr_no,
        masks.org_no,
        tag_pairs.tag_a_code,
        tag_pairs.tag_a_name,
        tag_pairs.tag_b_code,
        tag_pairs.tag_b_name,
        cast(sum(masks.cust_cnt) as bigint) as cust_cnt
    from masks
    inner join tag_pairs on masks.tag_mask & tag_pairs.bits = tag_pairs.bits
    group by all

),

{{ owner_labels_cte(build_from_date()) }},

final as (

    select
        pair_counts.biz_date,
        strftime(pair_counts.biz_date, '%Y-%m-%d') as biz_dt,
        {{ owner_columns('owner_labels') }},
        pair_counts.tag_a_code,
        pair_counts.tag_a_name,
        pair_counts.tag_b_code,
        pair_counts.tag_b_name,
        pair_counts.cust_cnt
    from pair_counts
    {{ owner_labels_join('pair_counts') }}

)

select * from final
