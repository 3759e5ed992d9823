{#- Pre-hook of dim_customer on a rebuild from the window's from_date (a re-delivery): versions
    that start on a rebuilt date of a customer who no longer has any change event
    (the corrected delivery does not have them) would otherwise stay, since the
    incremental replace only touches customers that still have rows. -#}
{% macro drop_vanished_customer_versions() -%}
    {%- if is_incremental() and window_date('from_date') -%}
        delete from {{ this }}
        where valid_from_date >= cast('{{ window_date("from_date") }}' as date)
            and cust_no not in (select cust_no from {{ ref('int_customer_changes') }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
