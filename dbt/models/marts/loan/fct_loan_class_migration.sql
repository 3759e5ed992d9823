{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 五级分类迁徙: loans in balance on D by their five class on the previous loaded
   date and on D, per org (rolled up the tree of D by the loan's org on D).
   from_class 0 (新发放/新纳入) = not in balance on the previous loaded date; to_class
   0 (结清/核销/转出) = in balance then, not on D (balance of the previous date). #}
with

loaded_dates as (

    select biz_date, lag(biz_date) over (order by biz_date) as prev_biz_date
    from {{ ref('int_loaded_dates') }}

),

targets as (

    select * from loaded_dates
    where biz_date >= {{ build_from_date() }} and prev_biz_date is not null

),

loans as (

    select biz_date, loan_no, org_no, five_class, balance_cny
    from {{ ref('int_loans_classified') }}
    where biz_date >= {{ loaded_date_before(build_from_date()) }}

),

today as (

    select targets.biz_date, targets.prev_biz_date, loans.loan_no, loans.org_no,
        loans.five_class, loans.balance_cny
    from targets
    inner join loans on loans.biz_date = targets.biz_date

),

yesterday as (

    select targets.biz_date, loans.loan_no, loans.org_no, loans.five_class, loans.balance_cny
    from targets
    inner join loans on loans.biz_date = targets.prev_biz_date

),

moves as (

    select
        coalesce(today.biz_date, yesterday.biz_date) as biz_date,
        coalesce(today.org_no, yesterday.org_no) as booked_org_no,
        coalesce(yesterday.five_class, '0') as from_class,
        coalesce(today.five_class, '0') as to_class,
        coalesce(today.balance_cny, yesterday.balance_cny) as balance_cny
    from today
    full outer join yesterday
        on yesterday.biz_date = today.biz_date and yesterday.loan_no = today.loan_no

),

{{ org_tree_ctes() }},

final as (

    select
        moves.biz_date,
        closure.ancestor_org_no as org_no,
        moves.from_class,
        moves.to_class,
        moves.to_class > moves.from_class and moves.from_class <> '0' as is_downgrade,
        count(*) as loan_cnt,
        cast(sum(moves.balance_cny) as double) as balance_cny
    from moves
    inner join closure
        on closure.biz_date = moves.biz_date and closure.org_no = moves.booked_org_no
    inner join active_orgs
        on active_orgs.biz_date = closure.biz_date and active_orgs.org_no = closure.ancestor_org_no
    group by moves.biz_date, closure.ancestor_org_no, moves.from_class, moves.to_class

)

select * from final
