{# The seed precredit_parameters gives every value precredit reads (customer-ops.md §5):
   each single parameter exactly once; points for every education and marital code of
   the contract and for an empty one; a dep_davg band met by 0 (so every customer gets
   deposit points); whole points (the score is a whole number); a positive rounding.
   A gap would otherwise score a customer 0 quietly (STYLE.md: check, never repair). #}
with

parameters as (

    select * from {{ ref('precredit_parameters') }}

),

singles(parameter) as (

    values ('AGE_MIN'), ('AGE_MAX'), ('SCORE_MIN'), ('SCORE_CAP'), ('FARMER_POINTS'),
        ('MICRO_OWNER_POINTS'), ('MOBILE_ACTIVE_POINTS'), ('LIMIT_CAP'),
        ('LIMIT_SCORE_MULTIPLIER'), ('LIMIT_DEPOSIT_SHARE'), ('LIMIT_ROUNDING')

),

single_counts as (

    select singles.parameter, count(parameters.parameter) as row_cnt
    from singles
    left join parameters on parameters.parameter = singles.parameter
    group by singles.parameter

),

codes as (

    -- the contract's code lists (code_labels, from contract.CODE_LABELS), plus empty
    select 'EDUCATION_POINTS' as parameter, code from {{ ref('code_labels') }}
    where list_name = 'education'
    union all
    select 'MARITAL_POINTS', code from {{ ref('code_labels') }} where list_name = 'marital'
    union all
    select 'EDUCATION_POINTS', null
    union all
    select 'MARITAL_POINTS', null

),

problems as (

    select parameter, 'expected once, found ' || row_cnt as problem
    from single_counts where row_cnt <> 1
    union all
    select codes.parameter, 'no points for code ' || coalesce(codes.code, '(empty)')
    from codes
    left join parameters
        on parameters.parameter = codes.parameter
        and parameters.code is not distinct from codes.code
    where parameters.parameter is null
    union all
    select 'DEP_DAVG_POINTS', 'no band met by dep_davg_mtd = 0'
    where not exists (
        select 1 from parameters
        where parameter = 'DEP_DAVG_POINTS' and lower_bound = 0 and is_lower_bound_inclusive = 1
    )
    union all
    select parameter, 'points not a whole number: ' || value
    from parameters
    where (parameter like '%_POINTS' or parameter = 'SCORE_CAP') and value <> round(value)
    union all
    select parameter, 'must be positive' from parameters
    where parameter = 'LIMIT_ROUNDING' and not value > 0

)

select * from problems
