{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# The masked name of each customer with an opportunity event raised on D (issue 15):
   what the opportunity push (dagster_project/briefing/opportunities.py) shows beside
   the customer number. opportunity_event carries exactly the contract's columns and
   no name (customer-ops.md §4), so the name is this table's alone. Every name is
   masked to its first character + '*', enterprise names too (ingestion keeps those in
   clear): the push goes to group chats. Only customers with an event, so the serving
   copy holds no list of the bank's customers by name. #}
with

events as (

    select distinct biz_date, cust_no
    from {{ ref('opportunity_event') }}
    where biz_date >= {{ build_from_date() }}

),

names as (

    select biz_date, cust_no, cust_name
    from {{ ref('stg_t1__customer_names') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        events.biz_date,
        events.cust_no,
        case
            when nullif(trim(names.cust_name), '') is not null
                then substr(trim(names.cust_name), 1, 1) || '*'
        end as cust_name_masked
    from events
    left join names
        on names.biz_date = events.biz_date and names.cust_no = events.cust_no

)

select * from final
