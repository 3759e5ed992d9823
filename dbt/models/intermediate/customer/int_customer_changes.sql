{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Customer attribute changes by business date: a row when a customer first
   appears, when a tracked attribute differs from the previous loaded date, or
   when the customer is no longer in the full file (t1-extract-spec §3: a record
   missing from a later full file no longer exists). Each date compares its own
   snapshot with the previous one, so it builds incrementally; dim_customer turns
   these events into SCD2 versions. No PII is tracked. #}
with

loaded_dates as (

    select biz_date, lag(biz_date) over (order by biz_date) as prev_biz_date
    from {{ ref('int_loaded_dates') }}

),

targets as (

    select * from loaded_dates
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

customers as (

    select
        biz_date, cust_no, cust_type, farmer_flag, ent_scale, industry_code, region_code,
        mgr_no, grid_no, cust_status,
        coalesce(owner_cust_no, '') <> '' as is_micro_owner
    from {{ ref('stg_t1__customers') }}
    where biz_date between {{ batch_prev_date() }} and {{ batch_to_date() }}

),

today as (

    select customers.*, targets.prev_biz_date
    from customers inner join targets on targets.biz_date = customers.biz_date

),

yesterday as (

    select customers.*, targets.biz_date as next_biz_date
    from customers inner join targets on targets.prev_biz_date = customers.biz_date

),

final as (

    select
        coalesce(today.biz_date, yesterday.next_biz_date) as biz_date,
        coalesce(today.cust_no, yesterday.cust_no) as cust_no,
        today.cust_type,
        today.farmer_flag,
        today.ent_scale,
        today.industry_code,
        today.region_code,
        today.mgr_no,
        today.grid_no,
        today.cust_status,
        today.is_micro_owner,
        today.cust_no is null as is_removed
    from today
    full outer join yesterday
        on yesterday.next_biz_date = today.biz_date and yesterday.cust_no = today.cust_no
    where today.cust_no is null
        or yesterday.cust_no is null
        -- a tracked attribute changed (NULL-safe comparison)
        or today.cust_type is distinct from yesterday.cust_type
        or today.farmer_flag is distinct from yesterday.farmer_flag
        or today.ent_scale is distinct from yesterday.ent_scale
        or today.industry_code is distinct from yesterday.industry_code
        or today.region_code is distinct from yesterday.region_code
        or today.mgr_no is distinct from yesterday.mgr_no
        or today.grid_no is distinct from yesterday.grid_no
        or today.cust_status is distinct from yesterday.cust_status
        or today.is_micro_owner is distinct from yesterday.is_micro_owner

)

select * from final
