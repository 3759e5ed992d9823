{# Calendar of every day of the years that have loaded dates, with month /
   quarter / year ends and whether the day is loaded (period starts of
   indicators.md are month and year ends of this calendar). #}
with

bounds as (

    select
        min({{ year_start('biz_date') }}) as first_day,
        max(cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, year_start('biz_date'))) }} as date))
            as last_day
    from {{ ref('int_loaded_dates') }}

),

spine as (

    select cast({{ dbt.dateadd('day', 'series.n', 'bounds.first_day') }} as date) as date_day
    from bounds
    cross join (
        -- dbt's portable series 1..N; 36,600 days covers a century of loaded years
        select generated_number - 1 as n from ({{ dbt.generate_series(36600) }}) as numbers
    ) as series
    where series.n <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}

),

final as (

    select
        spine.date_day,
        extract(year from spine.date_day) as year_no,
        extract(quarter from spine.date_day) as quarter_no,
        extract(month from spine.date_day) as month_no,
        extract(day from spine.date_day) as day_no,
        cast({{ dbt.date_trunc('month', 'spine.date_day') }} as date) as month_start_date,
        spine.date_day = cast({{ dbt.last_day('spine.date_day', 'month') }} as date) as is_month_end,
        spine.date_day = cast({{ dbt.last_day('spine.date_day', 'quarter') }} as date)
            as is_quarter_end,
        spine.date_day = cast({{ dbt.last_day('spine.date_day', 'year') }} as date) as is_year_end,
        loaded.biz_date is not null as is_loaded
    from spine
    left join {{ ref('int_loaded_dates') }} as loaded on loaded.biz_date = spine.date_day

)

select * from final
