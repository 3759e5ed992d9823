{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# The leaf-grain fact of the semantic layer (docs/marts.md "Serving tables"): for each
    business date D, the additive parts of every org-grain indicator, per booking org
    (with its org path 法人行社/支行/网点 of the date the part belongs to), manager, loan
    product, five-class, customer type, policy seller and lapse reason. No row is rolled
    up: Σ of any part over any group is that group's value, so a ratio is a ratio of
    sums and Superset never needs the org level the analyst would have to know.

    Parts of D (booked on D, tree of D), of the year start and month start (booked on
    that date, tree of that date, indicators.md "Period starts") and the 日均 parts
    (each loaded day's balance / loaded days of the period, tree of that day) sit in
    their own columns of rows stamped D; ys_loaded / ms_loaded say whether the period
    start is loaded (else the change is NULL, never 0). #}
{% set history_start -%}
    cast({{ dbt.dateadd('day', -1, year_start(build_from_date())) }} as date)
{%- endset %}
with

targets as (

    select biz_date, year_start_date, month_start_date, prev_year_end_date, prev_month_end_date,
        is_prev_year_end_loaded, is_prev_month_end_loaded, loaded_days_ytd, loaded_days_mtd
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

    select biz_date, mgr_no, org_no, mgr_status
    from {{ ref('stg_t1__customer_managers') }}
    where biz_date >= {{ build_from_date() }}

),

deposits_daily as (

    select
        deposits.biz_date,
        deposits.org_no,
        deposits.mgr_no,
        sum(deposits.balance_cny) as dep_bal,
        sum(case when deposits.is_personal then deposits.balance_cny else 0 end) as dep_bal_personal,
        sum(case when deposits.is_corporate then deposits.balance_cny else 0 end) as dep_bal_corp,
        sum(case when deposits.is_demand then deposits.balance_cny else 0 end) as dep_bal_demand
    from {{ ref('int_deposit_balances_booked') }} as deposits
    where deposits.biz_date >= {{ history_start }}
    group by deposits.biz_date, deposits.org_no, deposits.mgr_no

),

loans_daily as (

    select
        loans.biz_date,
        loans.org_no,
        loans.mgr_no,
        duebills.prod_cd,
        loans.five_class,
        loans.cust_type,
        count(*) as loan_cnt,
        sum(loans.balance_cny) as loan_bal,
        sum(case when loans.five_class = '2' then loans.balance_cny else 0 end) as sm_bal,
        sum(case when loans.five_class in ('3', '4', '5') then loans.balance_cny else 0 end)
            as npl_bal,
        sum(case when loans.overdue_days > 0 then loans.balance_cny else 0 end) as ovd_bal,
        sum(case when loans.overdue_days > 90 then loans.balance_cny else 0 end) as ovd90_bal,
        sum(case when loans.is_inclusive then loans.balance_cny else 0 end) as incl_bal,
        sum(case when loans.is_inclusive and loans.five_class in ('3', '4', '5')
                 then loans.balance_cny else 0 end) as incl_npl_bal
    from {{ ref('int_loans_classified') }} as loans
    -- the product is the duebill's own field (int_loans_classified does not carry it)
    inner join {{ ref('stg_t1__loan_duebills') }} as duebills
        on duebills.biz_date = loans.biz_date and duebills.loan_no = loans.loan_no
    where {{ build_dates_and_year_start('loans.biz_date') }}
    group by loans.biz_date, loans.org_no, loans.mgr_no, duebills.prod_cd, loans.five_class,
        loans.cust_type

),

-- one CTE per kind of part, all stamped with the target date D ------------------------

deposits_on_d as (

    select targets.biz_date, d.org_no, d.mgr_no, d.biz_date as part_date,
        d.dep_bal, d.dep_bal_personal, d.dep_bal_corp, d.dep_bal_demand
    from targets
    inner join deposits_daily as d on d.biz_date = targets.biz_date

),

deposits_year_start as (

    select targets.biz_date, d.org_no, d.mgr_no, d.biz_date as part_date, d.dep_bal as dep_bal_ys
    from targets
    inner join deposits_daily as d on d.biz_date = targets.prev_year_end_date

),

deposits_month_start as (

    select targets.biz_date, d.org_no, d.mgr_no, d.biz_date as part_date, d.dep_bal as dep_bal_ms
    from targets
    inner join deposits_daily as d on d.biz_date = targets.prev_month_end_date

),

deposits_daily_average as (

    -- 日均: each loaded day's balance of D's month / year (the 积数, exact decimals),
    -- on the tree of that day (the org's own daily value of that day, indicators.md);
    -- summed divides it by the loaded days of the period
    select
        targets.biz_date,
        d.org_no,
        d.mgr_no,
        d.biz_date as part_date,
        case when d.biz_date >= targets.month_start_date then d.dep_bal else 0 end
            as dep_acc_mtd,
        d.dep_bal as dep_acc_ytd
    from targets
    inner join deposits_daily as d
        on d.biz_date between targets.year_start_date and targets.biz_date

),

loans_on_d as (

    select targets.biz_date, l.org_no, l.mgr_no, l.prod_cd, l.five_class, l.cust_type,
        l.biz_date as part_date, l.loan_cnt, l.loan_bal, l.sm_bal, l.npl_bal, l.ovd_bal,
        l.ovd90_bal, l.incl_bal, l.incl_npl_bal
    from targets
    inner join loans_daily as l on l.biz_date = targets.biz_date

),

loans_year_start as (

    select targets.biz_date, l.org_no, l.mgr_no, l.prod_cd, l.five_class, l.cust_type,
        l.biz_date as part_date, l.loan_bal as loan_bal_ys, l.npl_bal as npl_bal_ys,
        l.incl_bal as incl_bal_ys
    from targets
    inner join loans_daily as l on l.biz_date = targets.prev_year_end_date

),

visits_on_d as (

    -- visits roll up by the visiting manager's org on D (indicators.md), also the
    -- MTD/YTD visits of earlier days
    select v.biz_date, managers.org_no, v.mgr_no, v.biz_date as part_date, v.visit_cnt_d,
        v.visit_cnt_mtd, v.visit_cnt_ytd, v.visit_conv_cnt_mtd, v.satisfaction_sum_mtd,
        v.satisfaction_cnt_mtd
    from {{ ref('int_mgr_visits_windowed') }} as v
    inner join managers on managers.biz_date = v.biz_date and managers.mgr_no = v.mgr_no
    where v.biz_date >= {{ build_from_date() }}

),

active_managers as (

    -- VISIT_PER_MGR_MTD denominator: managers with status 1 on D, at their org
    select biz_date, org_no, mgr_no, biz_date as part_date, 1 as active_mgr_cnt
    from managers
    where mgr_status = '1'

),

policies_on_d as (

    select
        p.biz_date,
        p.org_no,
        p.biz_date as part_date,
        coalesce(nullif(p.seller_no, ''), '未登记') as seller_no,
        p.lapse_reason,
        count(case when p.is_in_force then 1 end) as policy_inforce_cnt,
        count(case when p.is_in_grace then 1 end) as policy_grace_cnt,
        count(case when p.is_lapsed then 1 end) as policy_lapsed_cnt,
        count(case when p.is_followed_up then 1 end) as policy_followed_up_cnt,
        sum(case when p.is_lapsed then p.annualised_premium else 0 end) as lapsed_annualised_premium,
        sum(case when p.policy_status in ('1', '2', '3', '4') then p.annualised_premium else 0 end)
            as base_annualised_premium,
        sum(case when p.is_renewal_due_30d then p.premium else 0 end) as renewal_due_30d
    from {{ ref('int_policies_assessed') }} as p
    where p.biz_date >= {{ build_from_date() }}
    group by p.biz_date, p.org_no, coalesce(nullif(p.seller_no, ''), '未登记'), p.lapse_reason

),

parts as (

    select biz_date, org_no, mgr_no, part_date, dep_bal, dep_bal_personal, dep_bal_corp,
        dep_bal_demand
    from deposits_on_d
    union all by name
    select * from deposits_year_start
    union all by name
    select * from deposits_month_start
    union all by name
    select * from deposits_daily_average
    union all by name
    select * from loans_on_d
    union all by name
    select * from loans_year_start
    union all by name
    select * from visits_on_d
    union all by name
    select * from active_managers
    union all by name
    select * from policies_on_d

),

summed as (

    -- one row per (D, booking org on its date, manager, product, class, customer type,
    -- seller, reason): the parts of the same key and tree add up
    select
        parts.biz_date,
        parts.org_no,
        paths.org_name,
        paths.org_level,
        paths.lvl2_org_no,
        paths.lvl2_org_name,
        paths.lvl3_org_no,
        paths.lvl3_org_name,
        paths.lvl4_org_no,
        paths.lvl4_org_name,
        parts.mgr_no,
        parts.prod_cd,
        parts.five_class,
        parts.cust_type,
        parts.seller_no,
        parts.lapse_reason,
        {%- for part in ['dep_bal', 'dep_bal_personal', 'dep_bal_corp', 'dep_bal_demand',
                         'dep_bal_ys', 'dep_bal_ms', 'dep_davg_mtd', 'dep_davg_ytd',
                         'loan_bal', 'sm_bal', 'npl_bal', 'ovd_bal', 'ovd90_bal', 'incl_bal',
                         'incl_npl_bal', 'loan_bal_ys', 'npl_bal_ys', 'incl_bal_ys',
                         'lapsed_annualised_premium', 'base_annualised_premium',
                         'renewal_due_30d', 'satisfaction_sum_mtd'] %}
        {%- if part.startswith('dep_davg_') %}
        -- the 积数 summed as decimals, then divided: a sum of per-day quotients (doubles)
        -- depended on the order the rows met in, and rebuilds differed in the last bits
        cast(coalesce(sum(parts.{{ part | replace('davg', 'acc') }}), 0) as double)
            / any_value(targets.loaded_days_{{ part[-3:] }}) as {{ part }},
        {%- else %}
        cast(coalesce(sum(parts.{{ part }}), 0) as double) as {{ part }},
        {%- endif %}
        {%- endfor %}
        {%- for part in ['loan_cnt', 'visit_cnt_d', 'visit_cnt_mtd', 'visit_cnt_ytd',
                         'visit_conv_cnt_mtd', 'satisfaction_cnt_mtd', 'active_mgr_cnt',
                         'policy_inforce_cnt', 'policy_grace_cnt', 'policy_lapsed_cnt',
                         'policy_followed_up_cnt'] %}
        cast(coalesce(sum(parts.{{ part }}), 0) as bigint) as {{ part }}{{ ',' if not loop.last }}
        {%- endfor %}
    from parts
    -- the roll-up covers the orgs of that date's tree (int_org_closure)
    inner join paths on paths.biz_date = parts.part_date and paths.org_no = parts.org_no
    inner join targets on targets.biz_date = parts.biz_date
    group by all

),

final as (

    select
        summed.biz_date,
        strftime(summed.biz_date, '%Y-%m-%d') as biz_dt,
        summed.org_no,
        summed.org_name,
        summed.org_level,
        {{ org_path_names('summed') }},
        summed.lvl2_org_no,
        summed.lvl3_org_no,
        summed.mgr_no,
        mgr.mgr_name,
        mgr_org.org_name as mgr_org_name,
        summed.prod_cd,
        coalesce(products.prod_name, summed.prod_cd) as prod_name,
        summed.five_class,
        {{ decode_code('five_class', 'summed.five_class') }} as five_class_name,
        summed.cust_type,
        {{ decode_code('cust_type', 'summed.cust_type') }} as cust_type_name,
        summed.seller_no,
        coalesce(seller.mgr_name, summed.seller_no) as seller_name,
        summed.lapse_reason,
        {{ decode_code('lapse_reason', 'summed.lapse_reason') }} as lapse_reason_name,
        targets.is_prev_year_end_loaded as ys_loaded,
        targets.is_prev_month_end_loaded as ms_loaded,
        summed.* exclude (biz_date, org_no, org_name, org_level, lvl2_org_no, lvl2_org_name,
                          lvl3_org_no, lvl3_org_name, lvl4_org_no, lvl4_org_name, mgr_no,
                          prod_cd, five_class, cust_type, seller_no, lapse_reason)
    from summed
    inner join targets on targets.biz_date = summed.biz_date
    left join {{ ref('stg_t1__customer_managers') }} as mgr
        on mgr.biz_date = summed.biz_date and mgr.mgr_no = summed.mgr_no
    left join {{ ref('stg_t1__orgs') }} as mgr_org
        on mgr_org.biz_date = summed.biz_date and mgr_org.org_no = mgr.org_no
    left join {{ ref('stg_t1__customer_managers') }} as seller
        on seller.biz_date = summed.biz_date and seller.mgr_no = summed.seller_no
    left join {{ ref('loan_products') }} as products on products.prod_cd = summed.prod_cd

)

select * from final
