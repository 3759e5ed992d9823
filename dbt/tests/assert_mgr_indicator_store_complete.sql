{# Same completeness rule at manager grain: every manager with status 1 on a
   loaded date x every manager-grain code. #}
with

active_managers as (

    select biz_date, mgr_no from {{ ref('stg_t1__customer_managers') }}
    where mgr_status = '1' and biz_date >= cast('{{ var("test_from_date", "1900-01-01") }}' as date)

),

published as (

    select biz_date, mgr_no, count(*) as row_count
    from {{ ref('mgr_indicator_value') }}
    where biz_date >= cast('{{ var("test_from_date", "1900-01-01") }}' as date)
    group by biz_date, mgr_no

),

final as (

    select
        coalesce(active_managers.biz_date, published.biz_date) as biz_date,
        coalesce(active_managers.mgr_no, published.mgr_no) as mgr_no,
        published.row_count
    from active_managers
    full outer join published
        on published.biz_date = active_managers.biz_date
        and published.mgr_no = active_managers.mgr_no
    where published.row_count is distinct from {{ mgr_indicator_codes() | length }}
        or active_managers.mgr_no is null

)

select * from final
