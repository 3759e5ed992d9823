{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Visit measures per org and date. indicators.md: "Visits roll up by the org of
    the visiting manager on D" (CUST_MGR.org_no on D, then the tree of D), also for
    the MTD/YTD visits of earlier days. Managers with status 1 in the subtree on D
    are the VISIT_PER_MGR_MTD denominator. #}
with

target_dates as (

    select biz_date, month_start_date
    from {{ ref('int_loaded_dates') }}
    where biz_date >= {{ build_from_date() }}

),

closure as (

    select biz_date, ancestor_org_no, org_no from {{ ref('int_org_closure') }}
    where biz_date >= {{ build_from_date() }}

),

managers as (

    select biz_date, mgr_no, org_no, mgr_status
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

mgr_windows as (

    select * from {{ ref('int_mgr_visits_windowed') }}
    where biz_date >= {{ build_from_date() }}

),

visited_customers as (

    -- VISIT_CUST_MTD: distinct non-empty cust_no in the MTD visits, by the org
    -- of the visiting manager on D
    select distinct target_dates.biz_date, managers.org_no, visits.cust_no
    from target_dates
    inner join {{ ref('stg_t1__visits') }} as visits
        on visits.biz_date between target_dates.month_start_date and target_dates.biz_date
    inner join managers
        on managers.biz_date = target_dates.biz_date and managers.mgr_no = visits.mgr_no
    where visits.cust_no is not null and visits.cust_no <> ''

),

booked as (

    select
        mgr_windows.biz_date,
        managers.org_no,
        sum(mgr_windows.visit_cnt_d) as visit_cnt_d,
        sum(mgr_windows.visit_cnt_mtd) as visit_cnt_mtd,
        sum(mgr_windows.visit_cnt_ytd) as visit_cnt_ytd,
        sum(mgr_windows.visit_conv_cnt_mtd) as visit_conv_cnt_mtd,
        sum(mgr_windows.satisfaction_sum_mtd) as satisfaction_sum_mtd,
        sum(mgr_windows.satisfaction_cnt_mtd) as satisfaction_cnt_mtd
    from mgr_windows
    inner join managers
        on managers.biz_date = mgr_windows.biz_date and managers.mgr_no = mgr_windows.mgr_no
    group by mgr_windows.biz_date, managers.org_no

),

active_managers as (

    select biz_date, org_no, count(*) as active_mgr_cnt
    from managers
    where mgr_status = '1'
    group by biz_date, org_no

),

rolled as (

    {% call roll_up_to_ancestors('booked') -%}
        coalesce(sum(booked.visit_cnt_d), 0) as visit_cnt_d,
        coalesce(sum(booked.visit_cnt_mtd), 0) as visit_cnt_mtd,
        coalesce(sum(booked.visit_cnt_ytd), 0) as visit_cnt_ytd,
        coalesce(sum(booked.visit_conv_cnt_mtd), 0) as visit_conv_cnt_mtd,
        coalesce(sum(booked.satisfaction_sum_mtd), 0) as satisfaction_sum_mtd,
        coalesce(sum(booked.satisfaction_cnt_mtd), 0) as satisfaction_cnt_mtd
    {%- endcall %}

),

rolled_sets as (

    {% call roll_up_to_ancestors('visited_customers') -%}
        count(distinct visited_customers.cust_no) as visit_cust_mtd
    {%- endcall %}

),

rolled_managers as (

    {% call roll_up_to_ancestors('active_managers') -%}
        coalesce(sum(active_managers.active_mgr_cnt), 0) as active_mgr_cnt
    {%- endcall %}

),

final as (

    select rolled.*, rolled_sets.visit_cust_mtd, rolled_managers.active_mgr_cnt
    from rolled
    inner join rolled_sets
        on rolled_sets.biz_date = rolled.biz_date and rolled_sets.org_no = rolled.org_no
    inner join rolled_managers
        on rolled_managers.biz_date = rolled.biz_date and rolled_managers.org_no = rolled.org_no

)

select * from final
