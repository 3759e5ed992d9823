{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 五级分类结构: balance and count of loans in balance per org (rolled up the tree
   of D, like LOAN_BAL) and five class, for the asset-quality dashboard. The
   class total equals the published LOAN_BAL of the org. #}
with

{{ org_tree_ctes() }},

loans as (

    select biz_date, org_no, five_class, balance_cny, overdue_days
    from {{ ref('int_loans_classified') }}
    where biz_date >= {{ build_from_date() }}

),

classes as (

    select code as five_class, label as five_class_label
    from {{ ref('code_labels') }} where list_name = 'five_class'

),

grid as (

    select closure.biz_date, closure.ancestor_org_no as org_no, closure.org_no as booked_org_no,
        classes.five_class, classes.five_class_label
    from closure
    inner join active_orgs
        on active_orgs.biz_date = closure.biz_date and active_orgs.org_no = closure.ancestor_org_no
    cross join classes

),

final as (

    select
        grid.biz_date,
        grid.org_no,
        grid.five_class,
        grid.five_class_label,
        grid.five_class in ('3', '4', '5') as is_npl,
        count(loans.balance_cny) as loan_cnt,
        cast(coalesce(sum(loans.balance_cny), 0) as double) as loan_bal,
        cast(coalesce(sum(case when loans.overdue_days > 0 then loans.balance_cny end), 0) as double)
            as ovd_bal
    from grid
    left join loans
        on loans.biz_date = grid.biz_date and loans.org_no = grid.booked_org_no
        and loans.five_class = grid.five_class
    group by grid.biz_date, grid.org_no, grid.five_class, grid.five_class_label

)

select * from final
