{# indicators.md "The published indicator store": every org with status 1 on a
   loaded date x every org-grain code has a row (NULL when undefined), and no
   other org appears. Returns the (date, org) pairs with a wrong row count. #}
with

active_orgs as (

    select biz_date, org_no from {{ ref('stg_t1__orgs') }}
    where org_status = '1' and biz_date >= cast('{{ var("test_from_date", "1900-01-01") }}' as date)

),

published as (

    select biz_date, org_no, count(*) as row_count
    from {{ ref('indicator_value') }}
    where biz_date >= cast('{{ var("test_from_date", "1900-01-01") }}' as date)
    group by biz_date, org_no

),

final as (

    select
        coalesce(active_orgs.biz_date, published.biz_date) as biz_date,
        coalesce(active_orgs.org_no, published.org_no) as org_no,
        published.row_count
    from active_orgs
    full outer join published
        on published.biz_date = active_orgs.biz_date and published.org_no = active_orgs.org_no
    where published.row_count is distinct from {{ org_indicator_codes() | length }}
        or active_orgs.org_no is null

)

select * from final
