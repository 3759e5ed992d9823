{# The breakdown marts of issue 6 add up to the published indicators they break
   down (architecture.md: no chart computes a figure of its own): inclusive
   structure to INCL_BAL (both dimensions) and INCL_CUST_CNT (customer segments),
   product quality to LOAN_BAL / NPL_BAL / OVD_BAL, lapse by seller to
   POLICY_INFORCE_CNT / POLICY_LAPSED_CNT, for every org and date. #}
with

incl as (

    select biz_date, org_no,
        sum(case when dimension = 'cust_segment' then incl_bal else 0 end) as segment_bal,
        sum(case when dimension = 'prod_cd' then incl_bal else 0 end) as product_bal,
        sum(case when dimension = 'cust_segment' then incl_cust_cnt else 0 end) as segment_cust_cnt
    from {{ ref('fct_incl_loan_structure_daily') }}
    group by biz_date, org_no

),

products as (

    select biz_date, org_no, sum(loan_bal) as loan_bal, sum(npl_bal) as npl_bal,
        sum(ovd_bal) as ovd_bal
    from {{ ref('fct_loan_product_quality_daily') }}
    group by biz_date, org_no

),

sellers as (

    select biz_date, org_no, sum(inforce_cnt) as inforce_cnt, sum(lapsed_cnt) as lapsed_cnt
    from {{ ref('fct_policy_lapse_by_seller') }}
    group by biz_date, org_no

),

store as (

    select biz_date, org_no, incl_bal, incl_cust_cnt, loan_bal, npl_bal, ovd_bal,
        policy_inforce_cnt, policy_lapsed_cnt
    from {{ ref('fct_org_indicators_daily') }}
    where biz_date >= {{ test_from_date() }}

),

final as (

    select store.*, incl.segment_bal, incl.product_bal, incl.segment_cust_cnt,
        products.loan_bal as product_loan_bal, sellers.lapsed_cnt as seller_lapsed_cnt
    from store
    left join incl on incl.biz_date = store.biz_date and incl.org_no = store.org_no
    left join products on products.biz_date = store.biz_date and products.org_no = store.org_no
    left join sellers on sellers.biz_date = store.biz_date and sellers.org_no = store.org_no
    where abs(store.incl_bal - coalesce(incl.segment_bal, 0)) > 0.005
        or abs(store.incl_bal - coalesce(incl.product_bal, 0)) > 0.005
        or store.incl_cust_cnt <> coalesce(incl.segment_cust_cnt, 0)
        or abs(store.loan_bal - coalesce(products.loan_bal, 0)) > 0.005
        or abs(store.npl_bal - coalesce(products.npl_bal, 0)) > 0.005
        or abs(store.ovd_bal - coalesce(products.ovd_bal, 0)) > 0.005
        or store.policy_inforce_cnt <> coalesce(sellers.inforce_cnt, 0)
        or store.policy_lapsed_cnt <> coalesce(sellers.lapsed_cnt, 0)

)

select * from final
