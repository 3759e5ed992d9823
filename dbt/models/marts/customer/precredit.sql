{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date',
          batch_dates=1) }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# 预授信白名单 (customer-ops.md §5): one row per D and customer of cust_type 1 or 3 on D.
   Every threshold, score point and the limit's cap, multiplier and rounding come from
   the seed precredit_parameters (the contract's values by default); a changed
   parameter applies to the dates built after it. Every customer gets a score; the
   first admission rule that fails, in the order AGE, BAD_LOAN, BLACKLIST, HAS_CREDIT,
   LOW_SCORE, is the reject_reason; an admitted customer gets
   limit = min(cap, score x multiplier + share x dep_davg_mtd) rounded down to a
   whole multiple of the rounding. #}
with

parameters as (

    select * from {{ ref('precredit_parameters') }}

),

scalars as (

    select
        max(value) filter (where parameter = 'AGE_MIN') as age_min,
        max(value) filter (where parameter = 'AGE_MAX') as age_max,
        max(value) filter (where parameter = 'SCORE_MIN') as score_min,
        max(value) filter (where parameter = 'SCORE_CAP') as score_cap,
        max(value) filter (where parameter = 'FARMER_POINTS') as farmer_points,
        max(value) filter (where parameter = 'MICRO_OWNER_POINTS') as micro_owner_points,
        max(value) filter (where parameter = 'MOBILE_ACTIVE_POINTS') as mobile_active_points,
        max(value) filter (where parameter = 'LIMIT_CAP') as limit_cap,
        max(value) filter (where parameter = 'LIMIT_SCORE_MULTIPLIER') as limit_score_multiplier,
        max(value) filter (where parameter = 'LIMIT_DEPOSIT_SHARE') as limit_deposit_share,
        max(value) filter (where parameter = 'LIMIT_ROUNDING') as limit_rounding
    from parameters

),

education_points as (

    -- an empty code is the row of an empty education
    select code, value as points from parameters where parameter = 'EDUCATION_POINTS'

),

marital_points as (

    select code, value as points from parameters where parameter = 'MARITAL_POINTS'

),

deposit_bands as (

    select lower_bound, is_lower_bound_inclusive, value as points
    from parameters
    where parameter = 'DEP_DAVG_POINTS'

),

customers as (

    select
        biz_date, cust_no, cust_type, education, marital, farmer_flag, age, dep_davg_mtd,
        credit_amt, has_npl_loan, has_overdue_loan, is_micro_owner, is_mobile_active
    from {{ ref('int_customers_profiled') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}
        and cust_type in ('1', '3')

),

blacklisted as (

    select biz_date, cust_no from {{ ref('int_customers_blacklisted') }}
    where biz_date between {{ batch_from_date() }} and {{ batch_to_date() }}

),

band_edges as (

    -- one row per lower bound b of the bands: the points of the highest band met by a
    -- value just above b (the band at b; of two, the strict one: > 0 → 8 before = 0 → 0)
    -- and by a value equal to b (the inclusive band at b, else the highest band met
    -- above the bound before b; none below the lowest bound)
    select
        lower_bound,
        points_above,
        coalesce(points_at_inclusive, lag(points_above) over (order by lower_bound))
            as points_at
    from (
        select
            cast(lower_bound as double) as lower_bound,
            arg_max(points, -cast(is_lower_bound_inclusive as double)) as points_above,
            max(points) filter (where is_lower_bound_inclusive = 1) as points_at_inclusive
        from deposit_bands
        group by cast(lower_bound as double)
    ) as bounds

),

deposit_points as (

    -- the highest band met: the greatest lower bound <= dep_davg_mtd, one as-of lookup
    -- per customer (not a join with every band and a sort)
    select
        customers.biz_date,
        customers.cust_no,
        case
            when customers.dep_davg_mtd = band_edges.lower_bound then band_edges.points_at
            else band_edges.points_above
        end as points
    from customers
    asof inner join band_edges on customers.dep_davg_mtd >= band_edges.lower_bound

),

scored as (

    select
        customers.*,
        blacklisted.cust_no is not null as is_blacklisted,
        least(
            scalars.score_cap,
            coalesce(education_points.points, 0)
            + coalesce(marital_points.points, 0)
            + case when customers.farmer_flag = '1' then scalars.farmer_points else 0 end
            + case when customers.is_micro_owner or customers.cust_type = '3'
                then scalars.micro_owner_points else 0 end
            + coalesce(deposit_points.points, 0)
            + case when customers.is_mobile_active then scalars.mobile_active_points else 0 end
        ) as score,
        scalars.age_min,
        scalars.age_max,
        scalars.score_min,
        scalars.limit_cap,
        scalars.limit_score_multiplier,
        scalars.limit_deposit_share,
        scalars.limit_rounding
    from customers
    cross join scalars
    left join education_points on education_points.code is not distinct from customers.education
    left join marital_points on marital_points.code is not distinct from customers.marital
    left join deposit_points
        on deposit_points.biz_date = customers.biz_date and deposit_points.cust_no = customers.cust_no
    left join blacklisted
        on blacklisted.biz_date = customers.biz_date and blacklisted.cust_no = customers.cust_no

),

judged as (

    -- 准入: the first rule that fails, in the contract's order
    select
        scored.*,
        case
            when scored.age is null or scored.age < scored.age_min or scored.age > scored.age_max
                then 'AGE'
            when scored.has_npl_loan or scored.has_overdue_loan then 'BAD_LOAN'
            when scored.is_blacklisted then 'BLACKLIST'
            when scored.credit_amt > 0 then 'HAS_CREDIT'
            when scored.score < scored.score_min then 'LOW_SCORE'
        end as reject_reason
    from scored

),

final as (

    select
        judged.biz_date,
        judged.cust_no,
        judged.reject_reason is null as admitted,
        judged.reject_reason,
        -- points are whole numbers (assert_precredit_parameters_complete)
        cast(judged.score as integer) as score,
        case
            when judged.reject_reason is null then
                floor(least(
                    judged.limit_cap,
                    judged.score * judged.limit_score_multiplier
                    + judged.limit_deposit_share * judged.dep_davg_mtd
                ) / judged.limit_rounding) * judged.limit_rounding
        end as limit_amt
    from judged

)

select * from final
