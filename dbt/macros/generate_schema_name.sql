{#- Schemas are the layer names themselves (staging, intermediate, marts, ref),
    not "<target>_<layer>": the warehouse has one target, and publish.py and the
    dashboards address marts.* directly. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
