{# customer-ops.md §5, audited before publish: no limit above the cap, and no score
   outside 0 … SCORE_CAP; both read from the seed the model reads, so a bank that
   changes the cap changes the check with it. #}
with

caps as (

    select
        max(value) filter (where parameter = 'LIMIT_CAP') as limit_cap,
        max(value) filter (where parameter = 'SCORE_CAP') as score_cap
    from {{ ref('precredit_parameters') }}

),

final as (

    select precredit.biz_date, precredit.cust_no, precredit.score, precredit.limit_amt,
        caps.limit_cap, caps.score_cap
    from {{ ref('precredit') }} as precredit
    cross join caps
    where precredit.biz_date >= {{ test_from_date() }}
        and (
            precredit.limit_amt > caps.limit_cap
            or precredit.limit_amt < 0
            or precredit.score is null
            or precredit.score < 0
            or precredit.score > caps.score_cap
        )

)

select * from final
