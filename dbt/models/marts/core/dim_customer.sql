{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='cust_no',
          pre_hook="{{ drop_vanished_customer_versions() }}") }}
{# Customers with history (SCD2 by business date): one version per customer and
   span of business dates over which its tracked attributes stayed the same.
   valid_to_date is the last business date of the version (NULL while current);
   a customer dropped from the full file ends its last version the day before.

   Incremental by customer: a night recomputes the whole history of only the
   customers with a change on a date being built (the window's from_date, or after the
   latest version already here), and of those that had a version starting on such
   a date (a re-delivery may have taken that change away); their old rows are
   replaced. Everyone else's versions are untouched. A customer a re-delivery took
   away altogether has no rows left to replace its old ones: the pre-hook deletes
   those first. #}
with

{% if is_incremental() %}
{%- set since -%}
    {%- if window_date('from_date') -%}
        cast('{{ window_date("from_date") }}' as date)
    {%- else -%}
        (select coalesce(max(valid_from_date) + 1, cast('1900-01-01' as date)) from {{ this }})
    {%- endif -%}
{%- endset %}
affected as (

    select cust_no from {{ ref('int_customer_changes') }} where biz_date >= {{ since }}
    union
    select cust_no from {{ this }} where valid_from_date >= {{ since }}

),
{% endif %}

changes as (

    select * from {{ ref('int_customer_changes') }}
    {% if is_incremental() -%}
    where cust_no in (select cust_no from affected)
    {%- endif %}

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
