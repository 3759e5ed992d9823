{#- The build window of one dbt invocation: its first date to rebuild (from_date, for
    a re-delivered date) and the first date its data tests look at (test_from_date).

    They come from the environment (PUHUI_DBT_FROM_DATE, PUHUI_DBT_TEST_FROM_DATE, set
    by dagster_project.dbt_build.window_env for `puhui build` and the night's dbt
    asset) and are read only when a node runs, never while dbt parses. dbt vars would
    do the same, but a change of --vars makes dbt parse the whole project again, and the
    window changes every night: about 9 s of one core per invocation. -#}
{% macro window_date(name) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set value = env_var('PUHUI_DBT_' ~ name | upper, '') -%}
    {{- return(value if value else none) -}}
{%- endmacro %}

{#- The first date a data test looks at, as a SQL date literal ('1900-01-01': all). -#}
{% macro test_from_date() -%}
    cast('{{ window_date("test_from_date") or "1900-01-01" }}' as date)
{%- endmacro %}

{#- A data test's `where` config may say __test_from_date__ (YAML configs are rendered
    when dbt parses, so they cannot read the window themselves); it becomes
    test_from_date() when the test runs. Otherwise dbt's own get_where_subquery. -#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__test_from_date__', test_from_date()) -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
