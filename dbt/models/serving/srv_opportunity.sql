{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 商机 to work on D, for the 客户经营 dashboard (issue 15): one row per loaded date D
   and event of opportunity_event (customer-ops.md §4) still open on D, with its
   status that day, the customer's masked name and the event's owner (the customer's
   owner on the raising date, §4) with that org's path of the raising date.

   An event is open from the date it is raised through its follow-up date:
   - its due_date (TD_MATURE, LOAN_MATURE); one whose due date had already passed when
     it was raised (the first loaded date raises "<= D + 30") is listed on that day only;
   - for the events without a due date (flows, unused limits, new overdue), the raising
     day and the OPEN_DAYS - 1 days after it: a week for the manager to act, after
     which the event is history (it stays in opportunity_event).
   Status on D: 'due' (临近到期) when the event has a due date within DUE_SOON_DAYS
   (due_date <= D + DUE_SOON_DAYS - 1), else 'open' (跟进中). Nothing marks an event
   done: Puhui has no follow-up records beyond VISIT_LOG (docs/customer-ops.md).

   A due date is at most 30 days after raising (§4: mature_date <= D + 30), so the
   events open on D were raised in D - 30 … D: the dates being built read the events
   from build_from_date() - LOOKBACK_DAYS on, never the whole history. #}
{%- set open_days = 7 -%}
{%- set due_soon_days = 7 -%}
{%- set lookback_days = [30, open_days - 1] | max -%}
{% set events_from -%}
    cast({{ dbt.dateadd('day', -lookback_days, build_from_date()) }} as date)
{%- endset %}
with

listing_dates as (

    select biz_date from {{ ref('int_loaded_dates') }}
    where biz_date >= {{ build_from_date() }}

),

events as (

    select
        biz_date as raised_date,
        event_type,
        cust_no,
        ref_no,
        amount,
        due_date,
        case
            when due_date is not null then greatest(due_date, biz_date)
            else cast(biz_date + interval {{ open_days - 1 }} day as date)
        end as follow_up_date,
        mgr_no,
        org_no
    from {{ ref('opportunity_event') }}
    where biz_date >= {{ events_from }}

),

names as (

    -- each event's customer's masked name on its raising date: srv_opportunity_customers
    -- holds exactly those (a few thousand a date), where the names of every customer
    -- on each of the 30 days would be 30 dates of the whole customer base
    select biz_date, cust_no, cust_name_masked from {{ ref('srv_opportunity_customers') }}
    where biz_date >= {{ events_from }}

),

managers as (

    select biz_date, mgr_no, mgr_name from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ events_from }}

),

paths as (

    select biz_date, org_no, org_name, org_level, lvl2_org_no, lvl2_org_name, lvl3_org_no,
        lvl3_org_name, lvl4_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ events_from }}

),

listed as (

    select
        listing_dates.biz_date,
        events.*,
        date_diff('day', listing_dates.biz_date, events.follow_up_date) as days_left,
        case
            when events.due_date is not null
                and events.due_date <= cast(listing_dates.biz_date
                                            + interval {{ due_soon_days - 1 }} day as date)
                then 'due'
            else 'open'
        end as status
    from listing_dates
    inner join events
        on listing_dates.biz_date between events.raised_date and events.follow_up_date

),

final as (

    select
        listed.biz_date,
        strftime(listed.biz_date, '%Y-%m-%d') as biz_dt,
        listed.raised_date,
        strftime(listed.raised_date, '%Y-%m-%d') as raised_dt,
        listed.event_type,
        {{ decode_code('event_type', 'listed.event_type') }} as event_type_name,
        listed.cust_no,
        names.cust_name_masked,
        listed.ref_no,
        listed.amount,
        listed.due_date,
        coalesce(strftime(listed.due_date, '%Y-%m-%d'), '—') as due_dt,
        listed.follow_up_date,
        strftime(listed.follow_up_date, '%Y-%m-%d') as follow_up_dt,
        listed.days_left,
        listed.status,
        {{ decode_code('opportunity_status', 'listed.status') }} as status_name,
        listed.raised_date = listed.biz_date as is_new,
        listed.mgr_no,
        managers.mgr_name,
        {{ mgr_label('listed.mgr_no', 'managers.mgr_name') }} as mgr_label,
        listed.org_no,
        paths.org_name,
        paths.org_level,
        {{ owner_path_names('paths') }},
        paths.lvl2_org_no,
        paths.lvl3_org_no
    from listed
    left join names on names.biz_date = listed.raised_date and names.cust_no = listed.cust_no
    left join managers
        on managers.biz_date = listed.raised_date and managers.mgr_no = listed.mgr_no
    left join paths on paths.biz_date = listed.raised_date and paths.org_no = listed.org_no

)

select * from final
