{# The dashboard detail marts must add up to the published indicators they break
   down (architecture.md: no chart computes a figure of its own): five-class
   balances to LOAN_BAL, lapse reasons to POLICY_LAPSED_CNT. #}
with

five_class as (

    select biz_date, org_no, sum(loan_bal) as loan_bal
    from {{ ref('fct_loan_five_class_daily') }}
    group by biz_date, org_no

),

lapse as (

    select biz_date, org_no, sum(lapsed_cnt) as lapsed_cnt
    from {{ ref('fct_policy_lapse_reasons') }}
    group by biz_date, org_no

),

store as (

    select biz_date, org_no, loan_bal, policy_lapsed_cnt
    from {{ ref('fct_org_indicators_daily') }}
    where biz_date >= {{ test_from_date() }}

),

final as (

    select store.biz_date, store.org_no, store.loan_bal, five_class.loan_bal as five_class_bal,
        store.policy_lapsed_cnt, lapse.lapsed_cnt
    from store
    left join five_class on five_class.biz_date = store.biz_date and five_class.org_no = store.org_no
    left join lapse on lapse.biz_date = store.biz_date and lapse.org_no = store.org_no
    where abs(store.loan_bal - coalesce(five_class.loan_bal, 0)) > 0.005
        or store.policy_lapsed_cnt <> coalesce(lapse.lapsed_cnt, 0)

)

select * from final
