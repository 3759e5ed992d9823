{#- A business warning's value or threshold as the bank reads it, by the rule's
    value_unit (seed warning_rules): 比例 → -10.50%, 百分点 → +0.62个百分点,
    元 → 7.39万元, 件 / 天 → whole counts, 标志 → 由达标转为未达标. ``signed`` puts
    the sign on a value (a drop reads -10.50%); a threshold is a bare size. NULL → —. -#}
{% macro warning_text(value, unit, signed=true) -%}
    {%- set sign = '+' if signed else '' -%}
    case
        when {{ unit }} = '标志' then
            {% if signed %}'由达标转为未达标'{% else %}'—'{% endif %}
        when {{ value }} is null then '—'
        when {{ unit }} = '比例' then printf('%{{ sign }}.2f%%', {{ value }} * 100)
        when {{ unit }} = '百分点' then printf('%{{ sign }}.2f个百分点', {{ value }} * 100)
        when {{ unit }} = '元' then format('{:,.2f}万元', {{ value }} / 10000.0)
        when {{ unit }} in ('件', '天') then printf('%d', round({{ value }})::bigint) || {{ unit }}
        else printf('%.4g', {{ value }})
    end
{%- endmacro %}
