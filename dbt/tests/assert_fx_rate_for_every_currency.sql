{# indicators.md "Currency": every amount converts with FX_RATE of the same date.
   A balance whose currency has no rate that day would silently drop out of the
   sums, so the build fails instead (STYLE.md: never repair data quietly). #}
with

used as (

    select distinct biz_date, ccy from {{ ref('stg_t1__deposit_accounts') }}
    where biz_date >= {{ test_from_date() }}
    union
    select distinct biz_date, ccy from {{ ref('stg_t1__loan_duebills') }}
    where biz_date >= {{ test_from_date() }}

),

final as (

    select used.biz_date, used.ccy
    from used
    left join {{ ref('stg_t1__fx_rates') }} as fx_rates
        on fx_rates.biz_date = used.biz_date and fx_rates.ccy = used.ccy
    where fx_rates.ccy is null

)

select * from final
