{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Loans in balance (indicators.md: LOAN_DUEBILL status 1; settled 2 and
    written-off 3 count in no balance), in CNY, with the inclusive (普惠型)
    classification of indicators.md "Inclusive finance". #}
with

loans as (

    select * from {{ ref('stg_t1__loan_duebills') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }} and loan_status = '1'

),

fx_rates as (

    select biz_date, ccy, rate_to_cny from {{ ref('stg_t1__fx_rates') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

customers as (

    select biz_date, cust_no, cust_type, ent_scale, farmer_flag, owner_cust_no
    from {{ ref('stg_t1__customers') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

credit_limits as (

    select biz_date, cust_no, limit_amt, start_date, end_date, limit_status
    from {{ ref('stg_t1__credit_limits') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

loans_cny as (

    -- indicators.md "Currency": balance * rate_to_cny of the same date. Widened first:
    -- DECIMAL(18,2) x DECIMAL(12,6) is a DECIMAL(18,8) in DuckDB, which overflows from
    -- 10,000,000,000 yuan, and t1-extract-spec §4 allows balances up to 10^16.
    select
        loans.*,
        cast(loans.balance as decimal(38, 2)) * fx_rates.rate_to_cny as balance_cny
    from loans
    left join fx_rates
        on fx_rates.biz_date = loans.biz_date and fx_rates.ccy = loans.ccy

),

valid_limits as (

    -- 单户授信总额: limits with status 1 and start_date <= D <= end_date (CNY)
    select biz_date, cust_no, sum(limit_amt) as limit_total
    from credit_limits
    where limit_status = '1' and start_date <= biz_date and biz_date <= end_date
    group by biz_date, cust_no

),

loan_totals as (

    -- fallback for a customer with no valid limit: Σ balance (CNY) of loans in balance
    select biz_date, cust_no, sum(balance_cny) as loan_total
    from loans_cny
    group by biz_date, cust_no

),

household_credit as (

    select
        loan_totals.biz_date,
        loan_totals.cust_no,
        coalesce(valid_limits.limit_total, loan_totals.loan_total) as single_household_credit
    from loan_totals
    left join valid_limits
        on valid_limits.biz_date = loan_totals.biz_date and valid_limits.cust_no = loan_totals.cust_no

),

classified as (

    select
        loans_cny.biz_date,
        loans_cny.loan_no,
        loans_cny.cust_no,
        loans_cny.org_no,
        loans_cny.mgr_no,
        loans_cny.subject_code,
        loans_cny.ccy,
        loans_cny.balance,
        loans_cny.balance_cny,
        loans_cny.five_class,
        loans_cny.overdue_days,
        loans_cny.purpose,
        loans_cny.guarantee_type,
        loans_cny.agri_flag,
        loans_cny.channel,
        customers.cust_type,
        household_credit.single_household_credit,
        -- 1. 普惠型小微企业贷款: credit <= 10,000,000 and (a) enterprise of scale 3/4,
        --    (b) 个体工商户 with purpose 1, or (c) 小微企业主 (owner_cust_no) with purpose 1
        coalesce(
            household_credit.single_household_credit <= 10000000
            and (
                (customers.cust_type = '2' and customers.ent_scale in ('3', '4'))
                or (customers.cust_type = '3' and loans_cny.purpose = '1')
                or (customers.cust_type = '1' and coalesce(customers.owner_cust_no, '') <> ''
                    and loans_cny.purpose = '1')
            ),
            false
        ) as is_inclusive_micro,
        -- 2. 普惠型农户经营性贷款: credit <= 5,000,000, 农户 individual, purpose 1
        coalesce(
            household_credit.single_household_credit <= 5000000
            and customers.cust_type = '1' and customers.farmer_flag = '1'
            and loans_cny.purpose = '1',
            false
        ) as is_inclusive_farmer
    from loans_cny
    left join customers
        on customers.biz_date = loans_cny.biz_date and customers.cust_no = loans_cny.cust_no
    left join household_credit
        on household_credit.biz_date = loans_cny.biz_date
        and household_credit.cust_no = loans_cny.cust_no

),

final as (

    select
        *,
        -- "A loan that meets both counts once": one flag per loan row
        (is_inclusive_micro or is_inclusive_farmer) as is_inclusive
    from classified

)

select * from final
