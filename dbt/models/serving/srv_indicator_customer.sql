{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# The customer-grain fact of the semantic layer: the 户数 indicators are counts of
    DISTINCT customers, which no sum of org rows gives (a customer borrowing at two
    outlets is one 户 of their 法人行社). One row per (D, role, customer, org of the role
    on its date, manager, …); COUNT(DISTINCT cust_key) over any group is that group's
    count. Roles (each with the org of indicators.md "Org roll-up"):
      incl / incl_ys  inclusive borrowers with balance > 0 on D / on the year start
                      (INCL_CUST_CNT, INCL_CUST_YTD_CHG), by LOAN_DUEBILL.org_no;
      credit / credit_used  CREDIT_CUST_CNT and the customers of it using credit, by
                      CREDIT_LIMIT.org_no;
      grid_credit     GRID_CREDIT_COVERAGE numerator, by the org of the customer's grid;
      grid            one row per grid with its households (GRID_HH_CNT), no customer;
      visit           VISIT_CUST_MTD: customers of the MTD visits, by the visiting
                      manager's org on D.
    cust_key is a hash of cust_no: the count needs identity, not the number. #}
{% set history_start -%}
    cast({{ dbt.dateadd('day', -1, year_start(build_from_date())) }} as date)
{%- endset %}
with

targets as (

    select biz_date, month_start_date, prev_year_end_date, is_prev_year_end_loaded
    from {{ ref('int_loaded_dates') }}
    where biz_date >= {{ build_from_date() }}

),

paths as (

    select biz_date, org_no, org_name, org_level, lvl2_org_no, lvl2_org_name, lvl3_org_no,
        lvl3_org_name, lvl4_org_no, lvl4_org_name
    from {{ ref('int_org_paths') }}
    where biz_date >= {{ history_start }}

),

managers as (

    select biz_date, mgr_no, mgr_name, org_no
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

inclusive_borrowers as (

    select distinct loans.biz_date, loans.org_no, loans.mgr_no, loans.cust_no,
        duebills.prod_cd, loans.five_class, loans.cust_type
    from {{ ref('int_loans_classified') }} as loans
    inner join {{ ref('stg_t1__loan_duebills') }} as duebills
        on duebills.biz_date = loans.biz_date and duebills.loan_no = loans.loan_no
    where {{ build_dates_and_year_start('loans.biz_date') }} and loans.is_inclusive and loans.balance > 0

),

incl_on_d as (

    select targets.biz_date, 'incl' as role, b.biz_date as part_date, b.org_no, b.mgr_no,
        b.cust_no, b.prod_cd, b.five_class, b.cust_type
    from targets
    inner join inclusive_borrowers as b on b.biz_date = targets.biz_date

),

incl_year_start as (

    select targets.biz_date, 'incl_ys' as role, b.biz_date as part_date, b.org_no, b.mgr_no,
        b.cust_no, b.prod_cd, b.five_class, b.cust_type
    from targets
    inner join inclusive_borrowers as b on b.biz_date = targets.prev_year_end_date

),

credit as (

    select c.biz_date, 'credit' as role, c.biz_date as part_date, c.org_no, c.cust_no
    from {{ ref('int_credit_customers') }} as c
    where c.biz_date >= {{ build_from_date() }}
    union all
    select c.biz_date, 'credit_used' as role, c.biz_date as part_date, c.org_no, c.cust_no
    from {{ ref('int_credit_customers') }} as c
    where c.biz_date >= {{ build_from_date() }} and c.has_loan_in_balance

),

grids as (

    select biz_date, grid_no, org_no, household_cnt
    from {{ ref('stg_t1__grids') }}
    where biz_date >= {{ build_from_date() }}

),

grid_credit as (

    -- customers of cust_type 1 or 3 in a grid of the org, holding credit anywhere
    select distinct customers.biz_date, 'grid_credit' as role, customers.biz_date as part_date,
        grids.org_no, customers.cust_no
    from {{ ref('stg_t1__customers') }} as customers
    inner join grids
        on grids.biz_date = customers.biz_date and grids.grid_no = customers.grid_no
    inner join {{ ref('int_credit_customers') }} as credited
        on credited.biz_date = customers.biz_date and credited.cust_no = customers.cust_no
    where customers.biz_date >= {{ build_from_date() }} and customers.cust_type in ('1', '3')

),

grid_households as (

    select biz_date, 'grid' as role, biz_date as part_date, org_no,
        cast(household_cnt as bigint) as grid_hh_cnt
    from grids

),

visited as (

    select distinct targets.biz_date, 'visit' as role, targets.biz_date as part_date,
        managers.org_no, visits.mgr_no, visits.cust_no
    from targets
    inner join {{ ref('stg_t1__visits') }} as visits
        on visits.biz_date between targets.month_start_date and targets.biz_date
    inner join managers
        on managers.biz_date = targets.biz_date and managers.mgr_no = visits.mgr_no
    where visits.cust_no is not null and visits.cust_no <> ''

),

parts as (

    select * from incl_on_d
    union all by name
    select * from incl_year_start
    union all by name
    select * from credit
    union all by name
    select * from grid_credit
    union all by name
    select * from grid_households
    union all by name
    select * from visited

),

final as (

    select
        parts.biz_date,
        strftime(parts.biz_date, '%Y-%m-%d') as biz_dt,
        parts.role,
        md5(parts.cust_no) as cust_key,
        coalesce(parts.grid_hh_cnt, 0) as grid_hh_cnt,
        parts.org_no,
        paths.org_name,
        paths.org_level,
        {{ org_path_names('paths') }},
        paths.lvl2_org_no,
        paths.lvl3_org_no,
        parts.mgr_no,
        managers.mgr_name,
        parts.prod_cd,
        coalesce(products.prod_name, parts.prod_cd) as prod_name,
        parts.five_class,
        {{ decode_code('five_class', 'parts.five_class') }} as five_class_name,
        parts.cust_type,
        {{ decode_code('cust_type', 'parts.cust_type') }} as cust_type_name,
        targets.is_prev_year_end_loaded as ys_loaded
    from parts
    inner join targets on targets.biz_date = parts.biz_date
    inner join paths on paths.biz_date = parts.part_date and paths.org_no = parts.org_no
    left join managers on managers.biz_date = parts.biz_date and managers.mgr_no = parts.mgr_no
    left join {{ ref('loan_products') }} as products on products.prod_cd = parts.prod_cd

)

select * from final
