{{ config(materialized='view', meta={'published_by_date': true}) }}
{# 客户画像 (customer-ops.md §2): one row per D and customer (CUST_INFO status 1 on D),
   exactly the contract's columns under its names; published as customer_profile.
   The rules are in int_customers_profiled.
   A view (issue 15's night budget): its rows are int_customers_profiled's, which the
   night writes once; the publish writes this table into the serving copy date by date
   (publish.py, meta published_by_date). #}
with

profiled as (

    select * from {{ ref('int_customers_profiled') }}

),

final as (

    select
        biz_date,
        cust_no,
        cust_type,
        farmer_flag,
        education,
        marital,
        region_code,
        grid_no,
        mgr_no,
        org_no,
        cast(age as integer) as age,
        cast(dep_bal as double) as dep_bal,
        dep_davg_mtd,
        cast(loan_bal as double) as loan_bal,
        cast(credit_amt as double) as credit_amt,
        cast(mobile_txn_30d as integer) as mobile_txn_30d,
        last_txn_date,
        last_visit_date,
        cast(policy_cnt as integer) as policy_cnt,
        dep_tier
    from profiled

)

select * from final
