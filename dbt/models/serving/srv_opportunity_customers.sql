{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# The masked name of each customer with an opportunity event raised on D (issue 15):
   what the opportunity push (dagster_project/briefing/opportunity_push.py) shows beside
   the customer number. opportunity_event carries exactly the contract's columns and
   no name (customer-ops.md §4), so the name is this table's alone; every name is
   masked (first character + '*', enterprise names too: stg_t1__customer_names). Only
   customers with an event, so the serving copy holds no list of the bank's customers
   by name. #}
with

events as (

    select distinct biz_date, cust_no
    from {{ ref('opportunity_event') }}
    where biz_date >= {{ build_from_date() }}

),

names as (

    select biz_date, cust_no, cust_name_masked
    from {{ ref('stg_t1__customer_names') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        events.biz_date,
        events.cust_no,
        names.cust_name_masked
    from events
    left join names
        on names.biz_date = events.biz_date and names.cust_no = events.cust_no

)

select * from final
