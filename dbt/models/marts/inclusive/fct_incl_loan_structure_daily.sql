{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 普惠贷款结构: inclusive loans (classified once, in int_loans_classified: the
   rule of indicators.md "Inclusive finance" is not restated here) per org
   (rolled up the tree of D by LOAN_DUEBILL.org_no, like INCL_BAL) and date,
   broken down two ways, each a partition of the inclusive loans:
   - dimension 'cust_segment': 对公(小微企业), 个体工商户, and individuals split into
     小微企业主 (owner_cust_no set), 农户 (farmer_flag 1) and 其他个人 — one segment
     per customer, so balances sum to INCL_BAL and customer counts to INCL_CUST_CNT;
   - dimension 'prod_cd': the loan product; balances sum to INCL_BAL (a customer
     with loans of two products counts under both). #}
with

{{ org_tree_ctes() }},

inclusive_loans as (

    select biz_date, loan_no, cust_no, org_no, cust_type, balance, balance_cny
    from {{ ref('int_loans_classified') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }} and is_inclusive

),

duebills as (

    -- prod_cd is not carried by int_loans_classified; same (biz_date, loan_no) key
    select biz_date, loan_no, prod_cd from {{ ref('stg_t1__loan_duebills') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

customers as (

    select biz_date, cust_no, farmer_flag, owner_cust_no from {{ ref('stg_t1__customers') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

segmented as (

    select
        inclusive_loans.biz_date,
        inclusive_loans.org_no,
        inclusive_loans.cust_no,
        inclusive_loans.balance,
        inclusive_loans.balance_cny,
        case
            when inclusive_loans.cust_type = '2' then '2'
            when inclusive_loans.cust_type = '3' then '3'
            when inclusive_loans.cust_type = '1' and coalesce(customers.owner_cust_no, '') <> ''
                then '1O'
            when inclusive_loans.cust_type = '1' and customers.farmer_flag = '1' then '1F'
            when inclusive_loans.cust_type = '1' then '1X'
            else '99'
        end as cust_segment,
        coalesce(duebills.prod_cd, '未登记') as prod_cd
    from inclusive_loans
    left join customers
        on customers.biz_date = inclusive_loans.biz_date
        and customers.cust_no = inclusive_loans.cust_no
    left join duebills
        on duebills.biz_date = inclusive_loans.biz_date
        and duebills.loan_no = inclusive_loans.loan_no

),

members as (

    select biz_date, org_no, cust_no, balance, balance_cny, 'cust_segment' as dimension,
        cust_segment as member_code,
        case cust_segment
            when '2' then '对公（小微企业）'
            when '3' then '个体工商户'
            when '1O' then '个人·小微企业主'
            when '1F' then '个人·农户'
            when '1X' then '个人·其他'
            else '未知'
        end as member_label,
        case when cust_segment like '1%' then '个人'
            when cust_segment = '2' then '对公'
            when cust_segment = '3' then '个体工商户'
            else '未知'
        end as cust_type_group
    from segmented
    union all
    select biz_date, org_no, cust_no, balance, balance_cny, 'prod_cd' as dimension,
        prod_cd as member_code, prod_cd as member_label, null as cust_type_group
    from segmented

),

final as (

    select
        members.biz_date,
        closure.ancestor_org_no as org_no,
        members.dimension,
        members.member_code,
        members.member_label,
        members.cust_type_group,
        count(*) as incl_loan_cnt,
        -- as INCL_CUST_CNT: distinct borrowers with an inclusive loan of balance > 0
        count(distinct case when members.balance > 0 then members.cust_no end) as incl_cust_cnt,
        cast(sum(members.balance_cny) as double) as incl_bal
    from members
    inner join closure on closure.biz_date = members.biz_date and closure.org_no = members.org_no
    inner join active_orgs
        on active_orgs.biz_date = closure.biz_date and active_orgs.org_no = closure.ancestor_org_no
    group by members.biz_date, closure.ancestor_org_no, members.dimension, members.member_code,
        members.member_label, members.cust_type_group

)

select * from final
