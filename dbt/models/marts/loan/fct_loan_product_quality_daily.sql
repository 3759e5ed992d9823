{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 分产品资产质量: loans in balance (int_loans_classified) per org (rolled up the
   tree of D by LOAN_DUEBILL.org_no, like LOAN_BAL) and product (prod_cd), with
   the NPL / overdue balances of indicators.md and their ratios at product grain.
   Balances sum over products to LOAN_BAL, NPL_BAL and OVD_BAL. #}
with

{{ org_tree_ctes() }},

loans as (

    select biz_date, loan_no, org_no, balance_cny, five_class, overdue_days
    from {{ ref('int_loans_classified') }}
    where biz_date >= {{ build_from_date() }}

),

duebills as (

    -- prod_cd is not carried by int_loans_classified; same (biz_date, loan_no) key
    select biz_date, loan_no, prod_cd from {{ ref('stg_t1__loan_duebills') }}
    where biz_date >= {{ build_from_date() }}

),

rolled_up as (

    select
        loans.biz_date,
        closure.ancestor_org_no as org_no,
        coalesce(duebills.prod_cd, '未登记') as prod_cd,
        count(*) as loan_cnt,
        sum(loans.balance_cny) as loan_bal,
        coalesce(sum(case when loans.five_class in ('3', '4', '5') then loans.balance_cny end), 0)
            as npl_bal,
        -- OVD_BAL: the whole balance of each loan with overdue_days > 0
        coalesce(sum(case when loans.overdue_days > 0 then loans.balance_cny end), 0) as ovd_bal,
        coalesce(sum(case when loans.overdue_days > 90 then loans.balance_cny end), 0) as ovd90_bal
    from loans
    left join duebills on duebills.biz_date = loans.biz_date and duebills.loan_no = loans.loan_no
    inner join closure on closure.biz_date = loans.biz_date and closure.org_no = loans.org_no
    inner join active_orgs
        on active_orgs.biz_date = closure.biz_date and active_orgs.org_no = closure.ancestor_org_no
    group by loans.biz_date, closure.ancestor_org_no, coalesce(duebills.prod_cd, '未登记')

),

final as (

    select
        biz_date,
        org_no,
        prod_cd,
        loan_cnt,
        cast(loan_bal as double) as loan_bal,
        cast(npl_bal as double) as npl_bal,
        cast(ovd_bal as double) as ovd_bal,
        cast(ovd90_bal as double) as ovd90_bal,
        {{ safe_divide('npl_bal', 'loan_bal') }} as npl_ratio,
        {{ safe_divide('ovd_bal', 'loan_bal') }} as ovd_ratio
    from rolled_up

)

select * from final
