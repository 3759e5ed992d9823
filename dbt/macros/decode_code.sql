{#- Chinese label of a §4/§5 code, from the code_labels seed (generated from
    contract.CODE_LABELS), so dashboards show 正常/关注/… rather than 1/2/… -#}
{% macro decode_code(list_name, column) -%}
    (select code_labels.label from {{ ref('code_labels') }} as code_labels
      where code_labels.list_name = '{{ list_name }}' and code_labels.code = {{ column }})
{%- endmacro %}
