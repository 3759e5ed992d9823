{#- One row per (biz_date, org) for every org and all its descendants: the rows of
    `rows` (a CTE with biz_date and org_no) joined through the `closure` CTE (the
    int_org_closure pairs of ancestor and descendant, an org being its own) and
    aggregated per ancestor with the caller's select list. An org with no rows still
    gets its row: its sums say 0 through coalesce, its counts 0 (indicators.md
    "Empty sets"). Use as {% call roll_up_to_ancestors('booked') %} aggregates {% endcall %}. -#}
{% macro roll_up_to_ancestors(rows) -%}
    select
        closure.biz_date,
        closure.ancestor_org_no as org_no,
        {{ caller() }}
    from closure
    left join {{ rows }}
        on {{ rows }}.biz_date = closure.biz_date and {{ rows }}.org_no = closure.org_no
    group by closure.biz_date, closure.ancestor_org_no
{%- endmacro %}
