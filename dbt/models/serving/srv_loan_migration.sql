{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 五级分类迁移 at leaf grain: loans moving from their class on the previous loaded
    date to their class on D, per booking org (org path of D), summable over any
    group. The class names carry their order (1.正常 … 5.损失, then 6.新发放 / 6.结清转出)
    because a pivot sorts by name and the bank reads 正常 → 损失. #}
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

    select targets.biz_date, loans.loan_no, loans.org_no, loans.five_class, loans.balance_cny
    from targets
    inner join loans on loans.biz_date = targets.biz_date

),

yesterday as (

    select targets.biz_date, loans.loan_no, loans.org_no, loans.five_class, loans.balance_cny
    from targets
    inner join loans on loans.biz_date = targets.prev_biz_date

),

moves as (

    -- from_class 0: not in balance on the previous loaded date (新发放/新纳入);
    -- to_class 0: in balance then, not on D (结清/核销/转出), with that date's balance
    select
        coalesce(today.biz_date, yesterday.biz_date) as biz_date,
        coalesce(today.org_no, yesterday.org_no) as org_no,
        coalesce(yesterday.five_class, '0') as from_class,
        coalesce(today.five_class, '0') as to_class,
        coalesce(today.balance_cny, yesterday.balance_cny) as balance_cny
    from today
    full outer join yesterday
        on yesterday.biz_date = today.biz_date and yesterday.loan_no = today.loan_no

),

summed as (

    select biz_date, org_no, from_class, to_class, count(*) as loan_cnt,
        cast(sum(balance_cny) as double) as balance_cny
    from moves
    group by all

),

paths as (

    select * from {{ ref('int_org_paths') }}
    where biz_date >= {{ build_from_date() }}

),

final as (

    select
        summed.biz_date,
        strftime(summed.biz_date, '%Y-%m-%d') as biz_dt,
        summed.org_no,
        paths.org_name,
        paths.org_level,
        {{ org_path_names('paths') }},
        paths.lvl2_org_no,
        paths.lvl3_org_no,
        summed.from_class,
        summed.to_class,
        case when summed.from_class = '0' then '6.新发放'
             else summed.from_class || '.' || {{ decode_code('five_class', 'summed.from_class') }}
        end as from_class_name,
        case when summed.to_class = '0' then '6.结清转出'
             else summed.to_class || '.' || {{ decode_code('five_class', 'summed.to_class') }}
        end as to_class_name,
        case when summed.to_class > summed.from_class and summed.from_class <> '0'
                  and summed.to_class <> '0' then '下迁'
             when summed.to_class < summed.from_class and summed.to_class <> '0' then '上迁'
             when summed.to_class = summed.from_class then '不变'
             else '新发放/结清' end as move_name,
        summed.loan_cnt,
        summed.balance_cny
    from summed
    inner join paths on paths.biz_date = summed.biz_date and paths.org_no = summed.org_no

)

select * from final
