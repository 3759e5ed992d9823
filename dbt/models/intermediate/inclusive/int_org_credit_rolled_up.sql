{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Credit coverage and grid measures per org and date, rolled up the org tree of
    that date: credit limits by CREDIT_LIMIT.org_no, grids by GRID.org_no
    (indicators.md "Org roll-up", CREDIT_CUST_CNT, CREDIT_USE_RATE, GRID_*). #}
with

closure as (

    select biz_date, ancestor_org_no, org_no from {{ ref('int_org_closure') }}
    where biz_date >= {{ build_from_date() }}

),

credit_customers as (

    select * from {{ ref('int_credit_customers') }}
    where biz_date >= {{ build_from_date() }}

),

grids as (

    select biz_date, grid_no, org_no, household_cnt
    from {{ ref('stg_t1__grids') }}
    where biz_date >= {{ build_from_date() }}

),

customers as (

    select biz_date, cust_no, cust_type, grid_no
    from {{ ref('stg_t1__customers') }}
    where biz_date >= {{ build_from_date() }}

),

credited_anywhere as (

    select distinct biz_date, cust_no from credit_customers

),

grid_credit_customers as (

    -- GRID_CREDIT_COVERAGE numerator: customers of cust_type 1 or 3 in a grid,
    -- counted in CREDIT_CUST_CNT anywhere in the province
    select customers.biz_date, customers.cust_no, grids.org_no
    from customers
    inner join grids
        on grids.biz_date = customers.biz_date and grids.grid_no = customers.grid_no
    inner join credited_anywhere
        on credited_anywhere.biz_date = customers.biz_date
        and credited_anywhere.cust_no = customers.cust_no
    where customers.cust_type in ('1', '3')

),

credit_rolled as (

    {% call roll_up_to_ancestors('credit_customers') -%}
        count(distinct credit_customers.cust_no) as credit_cust_cnt,
        count(distinct case when credit_customers.has_loan_in_balance
                            then credit_customers.cust_no end) as credit_used_cust_cnt
    {%- endcall %}

),

grid_rolled as (

    {% call roll_up_to_ancestors('grids') -%}
        coalesce(sum(grids.household_cnt), 0) as grid_hh_cnt
    {%- endcall %}

),

grid_credit_rolled as (

    {% call roll_up_to_ancestors('grid_credit_customers') -%}
        count(distinct grid_credit_customers.cust_no) as grid_credit_cust_cnt
    {%- endcall %}

),

final as (

    select
        credit_rolled.biz_date,
        credit_rolled.org_no,
        credit_rolled.credit_cust_cnt,
        credit_rolled.credit_used_cust_cnt,
        grid_rolled.grid_hh_cnt,
        grid_credit_rolled.grid_credit_cust_cnt
    from credit_rolled
    inner join grid_rolled
        on grid_rolled.biz_date = credit_rolled.biz_date and grid_rolled.org_no = credit_rolled.org_no
    inner join grid_credit_rolled
        on grid_credit_rolled.biz_date = credit_rolled.biz_date
        and grid_credit_rolled.org_no = credit_rolled.org_no

)

select * from final
