{#- The 11 tags of customer-ops.md §3 as (tag_code, flag column of
    int_customers_profiled), in the contract's order. Each tag's rule is its flag;
    customer_tag lists the flags that hold, srv_customer_lookup names them and
    srv_customer_tag_overlap counts their combinations, all from this one list. -#}
{% macro customer_tags() -%}
    {{- return([
        ('FARMER', 'is_farmer'),
        ('MICRO_OWNER', 'is_micro_owner'),
        ('BORROWER', 'is_borrower'),
        ('CREDIT_UNUSED', 'is_credit_unused'),
        ('NPL', 'is_npl'),
        ('MOBILE_ACTIVE', 'is_mobile_active'),
        ('DORMANT', 'is_dormant'),
        ('SENIOR', 'is_senior'),
        ('VISITED_90D', 'is_visited_90d'),
        ('POLICY_HOLDER', 'is_policy_holder'),
        ('HIGH_VALUE', 'is_high_value'),
    ]) -}}
{%- endmacro %}

{#- The customer's tags as one bit mask: bit i (0-based) set when the i-th tag of
    customer_tags() holds. `rel` is a relation with the flag columns. -#}
{% macro customer_tag_mask(rel) -%}
    ({%- for tag_code, flag in customer_tags() %}
        case when {{ rel }}.{{ flag }} then {{ 2 ** loop.index0 }} else 0 end
        {%- if not loop.last %} +{% endif %}
    {%- endfor %})
{%- endmacro %}
