{# srv_customer_lookup, a view the publish writes (_serving__models.yml): one row per
   date and customer number, none without a customer number, and a pre-credit result on
   every row. One query, so the night computes the view once for its tests. #}
with

lookup as (

    select biz_date, cust_no, precredit_result
    from {{ ref('srv_customer_lookup') }}
    where biz_date >= {{ test_from_date() }}

),

counted as (

    select
        biz_date,
        cust_no,
        count(*) as row_cnt,
        count(precredit_result) as result_cnt
    from lookup
    group by biz_date, cust_no

)

select * from counted
where cust_no is null or row_cnt <> 1 or result_cnt <> row_cnt
