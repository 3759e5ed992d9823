{# Customers with history (SCD2 by business date): one version per customer and
   span of business dates over which its tracked attributes stayed the same.
   valid_to_date is the last business date of the version (NULL while current);
   a customer dropped from the full file ends its last version the day before. #}
with

changes as (

    select * from {{ ref('int_customer_changes') }}

),

versioned as (

    select
        changes.*,
        lead(changes.biz_date) over (partition by changes.cust_no order by changes.biz_date)
            as next_change_date
    from changes

),

final as (

    select
        cust_no,
        biz_date as valid_from_date,
        cast({{ dbt.dateadd('day', -1, 'next_change_date') }} as date) as valid_to_date,
        next_change_date is null as is_current,
        cust_type,
        {{ decode_code('cust_type', 'versioned.cust_type') }} as cust_type_label,
        farmer_flag,
        ent_scale,
        {{ decode_code('ent_scale', 'versioned.ent_scale') }} as ent_scale_label,
        industry_code,
        region_code,
        mgr_no,
        grid_no,
        cust_status,
        is_micro_owner
    from versioned
    where not is_removed

)

select * from final
