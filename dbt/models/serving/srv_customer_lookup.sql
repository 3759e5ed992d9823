{{ config(materialized='view', meta={'published_by_date': true}) }}
{# 客户查询 of the 客户经营 dashboard (issue 15): one row per D and customer on D with
   everything the lookup by customer number shows, each from the one table that
   defines it: the profile (customer_profile, customer-ops.md §2) with its codes named,
   the masked name (stg_t1__customer_names: 张*, enterprises too), the tags held (§3:
   the flags customer_tag lists, customer_tags(), named and in code order), the events
   open on D (srv_opportunity) and the pre-credit result (precredit, §5); the owner on D
   and that org's path for row-level security (int_customer_owners).
   Never the ID number or the phone, nor their hashes.
   What the lookup's one-row tables show is text where it may be empty: dates
   (YYYY-MM-DD), age, names of codes and the grid read — when there is none, because
   Superset's table prints an untranslatable N/A for NULL; the pre-credit result is one
   sentence with its score and limit (准入：评分 64，额度 153,000 元). The numbers stay
   in their own columns for analysts.
   A view (issue 15's night budget): its query for one bank date takes about a quarter
   of what writing its million text rows into the warehouse did; the publish writes it
   into the serving copy date by date (publish.py, meta published_by_date), reading
   `where biz_date >= D`, which DuckDB pushes through every join below. #}
with

profiles as (

    select * from {{ ref('customer_profile') }}

),

names as (

    select biz_date, cust_no, cust_name_masked from {{ ref('stg_t1__customer_names') }}

),

grids as (

    select biz_date, grid_no, grid_name from {{ ref('stg_t1__grids') }}

),

tag_labels as (

    select
        {%- for tag_code, flag in customer_tags() %}
        max(label) filter (where code = '{{ tag_code }}') as {{ flag }}_label
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('code_labels') }}
    where list_name = 'tag_code'

),

tags as (

    -- what string_agg over customer_tag would give, from its flags in one pass
    {%- set by_code = customer_tags() | sort(attribute='0') %}
    select
        profiled.biz_date,
        profiled.cust_no,
        cast(
            {%- for tag_code, flag in by_code %}
            cast(profiled.{{ flag }} as integer){% if not loop.last %} +{% endif %}
            {%- endfor %} as bigint) as tag_cnt,
        nullif(concat_ws(','
            {%- for tag_code, flag in by_code %},
            case when profiled.{{ flag }} then '{{ tag_code }}' end
            {%- endfor %}), '') as tag_codes,
        nullif(concat_ws('、'
            {%- for tag_code, flag in by_code %},
            case when profiled.{{ flag }} then tag_labels.{{ flag }}_label end
            {%- endfor %}), '') as tag_names
    from {{ ref('int_customers_profiled') }} as profiled
    cross join tag_labels

),

events as (

    select
        biz_date,
        cust_no,
        count(*) as open_event_cnt,
        string_agg(event_type_name
                   || case when due_date is not null then '（到期' || due_dt || '）' else '' end,
                   '；' order by follow_up_date, event_type, ref_no) as open_events
    from {{ ref('srv_opportunity') }}
    group by biz_date, cust_no

),

precredit as (

    select biz_date, cust_no, admitted, reject_reason, score, limit_amt
    from {{ ref('precredit') }}

),

{{ owner_labels_cte() }},

final as (

    select
        profiles.biz_date,
        strftime(profiles.biz_date, '%Y-%m-%d') as biz_dt,
        profiles.cust_no,
        names.cust_name_masked,
        profiles.cust_type,
        {{ decode_code('cust_type', 'profiles.cust_type') }} as cust_type_name,
        profiles.age,
        coalesce(cast(profiles.age as varchar), '—') as age_text,
        coalesce({{ decode_code('farmer_flag', 'profiles.farmer_flag') }}, '—') as farmer_flag_name,
        coalesce({{ decode_code('education', 'profiles.education') }}, '—') as education_name,
        coalesce({{ decode_code('marital', 'profiles.marital') }}, '—') as marital_name,
        profiles.region_code,
        profiles.grid_no,
        coalesce(grids.grid_name, '—') as grid_name,
        profiles.dep_bal,
        profiles.dep_davg_mtd,
        profiles.dep_tier,
        profiles.loan_bal,
        profiles.credit_amt,
        profiles.mobile_txn_30d,
        profiles.last_txn_date,
        coalesce(strftime(profiles.last_txn_date, '%Y-%m-%d'), '—') as last_txn_dt,
        profiles.last_visit_date,
        coalesce(strftime(profiles.last_visit_date, '%Y-%m-%d'), '—') as last_visit_dt,
        profiles.policy_cnt,
        coalesce(tags.tag_cnt, 0) as tag_cnt,
        tags.tag_codes,
        coalesce(tags.tag_names, '（无）') as tag_names,
        coalesce(events.open_event_cnt, 0) as open_event_cnt,
        coalesce(events.open_events, '（无）') as open_events,
        precredit.admitted as precredit_admitted,
        case
            when precredit.cust_no is null then '不参评（对公客户）'
            when precredit.admitted then
                '准入：评分 ' || precredit.score || '，额度 '
                || format('{:,}', cast(precredit.limit_amt as bigint)) || ' 元'
            else '未准入：' || {{ decode_code('reject_reason', 'precredit.reject_reason') }}
                || '（评分 ' || precredit.score || '）'
        end as precredit_result,
        precredit.reject_reason as precredit_reject_reason,
        precredit.score as precredit_score,
        precredit.limit_amt as precredit_limit_amt,
        {{ owner_columns('owner_labels') }}
    from profiles
    left join names on names.biz_date = profiles.biz_date and names.cust_no = profiles.cust_no
    left join grids on grids.biz_date = profiles.biz_date and grids.grid_no = profiles.grid_no
    left join tags on tags.biz_date = profiles.biz_date and tags.cust_no = profiles.cust_no
    left join events on events.biz_date = profiles.biz_date and events.cust_no = profiles.cust_no
    left join precredit
        on precredit.biz_date = profiles.biz_date and precredit.cust_no = profiles.cust_no
    {{ owner_labels_join('profiles') }}

)

select * from final
