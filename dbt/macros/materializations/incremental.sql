{#- The project's incremental materialization on DuckDB (it replaces dbt-duckdb's).

    Every incremental model here is delete+insert. dbt-duckdb writes the new rows
    twice: into a temporary table, then from it into the model. Then it also deletes
    with `unique_key in (select ... from the temporary table)`, which cannot use the
    table's zone maps.

    A model keyed by business date (unique_key='biz_date', all but dim_customer)
    rebuilds exactly the dates from build_from_date() on (macros/build_from_date.sql).
    So this materialization deletes those dates with a constant predicate and inserts
    the model's query straight into the table, in one transaction: one write of the
    rows, no copy. At bank scale that is about 30 % less time for the large
    per-customer models (docs/benchmarks.md). Rows before that date are never touched
    (the insert is filtered to the window, so a model cannot duplicate an earlier date).

    Other keys (dim_customer, by cust_no) keep dbt's two steps: the new rows go to a
    temporary table, and the key values found there are deleted before the insert.

    A first build, a full refresh and a relation that is a view are built with
    `create or replace table`, one statement, so a failure leaves the old table.

    A model with `batch_dates=N` is built N loaded dates at a time, oldest first, in
    the same transaction. The per-customer and per-account models use it (N = 1):
    they join or group millions of rows by date and key, and over a whole history at
    once (a full refresh, a long catch-up) their hash tables grow with the number of
    dates, fill DuckDB's memory_limit and spill; int_customers_profiled spilled 18 GB
    and failed (docs/benchmarks.md). A date at a time, their memory is a night's.
    Their SQL marks the window with batch_from_date(), batch_to_date() and, where it
    reads the previous loaded date too, batch_prev_date(); each batch is that SQL with
    the marks set to the batch's first and last date and the loaded date before it.
    on_schema_change is always 'fail' here (dbt_project.yml): when the query's columns
    or types differ from the table's, the build stops and names both lists. -#}
{% materialization incremental, adapter='duckdb' -%}

  {%- set target = this.incorporate(type='table') -%}
  {%- set existing = load_cached_relation(this) -%}
  {%- set unique_key = config.get('unique_key') -%}
  {%- if config.get('incremental_strategy') != 'delete+insert' or unique_key is not string
        or model.get('language', 'sql') != 'sql' -%}
    {{ exceptions.raise_compiler_error(
        "puhui's incremental materialization supports incremental_strategy='delete+insert' "
        ~ "with one unique_key column on a SQL model; " ~ this ~ " has strategy "
        ~ config.get('incremental_strategy') ~ " and unique_key " ~ unique_key) }}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- set batches = puhui_batches(sql) -%}

  {%- if existing is none or existing.is_view or should_full_refresh() -%}
    {%- if existing is not none and existing.is_view -%}
      {% do adapter.drop_relation(existing) %}
    {%- endif -%}
    {%- if batches -%}
      {%- set build_sql -%}
        create or replace table {{ target }} as (
          {{ batches[0] }}
        );
        {%- for batch in batches[1:] %}
        insert into {{ target }} {{ batch }};
        {%- endfor %}
      {%- endset -%}
    {%- else -%}
      {%- set build_sql -%}
        create or replace table {{ target }} as (
          {{ sql }}
        )
      {%- endset -%}
    {%- endif -%}
  {%- else -%}
    {%- do puhui_assert_same_columns(existing, sql) -%}
    {%- set columns = adapter.get_columns_in_relation(existing) | map(attribute='name')
                      | map('tojson') | join(', ') -%}
    {%- if unique_key == 'biz_date' -%}
      {%- set from_date = build_from_date() -%}
      {%- set build_sql -%}
        delete from {{ target }} where biz_date >= {{ from_date }};
        {%- if batches %}
        {%- for batch in batches %}
        insert into {{ target }} ({{ columns }})
        select {{ columns }} from ({{ batch }}) as new_rows;
        {%- endfor %}
        {%- else %}
        insert into {{ target }} ({{ columns }})
        select {{ columns }} from (
          {{ sql }}
        ) as new_rows
        where biz_date >= {{ from_date }}
        {%- endif %}
      {%- endset -%}
    {%- else -%}
      {%- set new_rows = make_temp_relation(target) -%}
      {%- set build_sql -%}
        create or replace temporary table {{ new_rows.identifier }} as (
          {{ sql }}
        );
        delete from {{ target }}
        where {{ unique_key }} in (select {{ unique_key }} from {{ new_rows.identifier }});
        insert into {{ target }} ({{ columns }})
        select {{ columns }} from {{ new_rows.identifier }};
        drop table {{ new_rows.identifier }}
      {%- endset -%}
    {%- endif -%}
  {%- endif -%}

  {% call statement('main') -%}
    {{ build_sql }}
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target]}) }}

{%- endmaterialization %}

{#- on_schema_change 'fail': the model's query must give the table's columns, by name,
    order and type. DESCRIBE plans the query without running it. -#}
{% macro puhui_assert_same_columns(relation, sql) -%}
  {%- set table_columns = run_query('describe ' ~ relation) -%}
  {%- set query_columns = run_query('describe (' ~ sql ~ ')') -%}
  {%- set have = [] -%}
  {%- set want = [] -%}
  {%- for row in table_columns.rows -%}{%- do have.append(row[0] ~ ' ' ~ row[1]) -%}{%- endfor -%}
  {%- for row in query_columns.rows -%}{%- do want.append(row[0] ~ ' ' ~ row[1]) -%}{%- endfor -%}
  {%- if have != want -%}
    {{ exceptions.raise_compiler_error(
        "The columns of " ~ relation ~ " changed (on_schema_change: fail). Rebuild it with "
        ~ "`puhui build --full-refresh`. Table: " ~ have | join(', ') ~ ". Query: "
        ~ want | join(', ')) }}
  {%- endif -%}
{%- endmacro %}


{#- The window marks of a batched model (config batch_dates): the first date built, the
    last, and the loaded date before the first (a model comparing D with its previous
    loaded date P reads P too), as literals wrapped in comments the materialization
    finds and replaces. Rendered outside a batch (dbt compile, unit tests) they are
    build_from_date(), no upper bound and loaded_date_before(build_from_date()).

    batch_date() is the one date of a model built a date at a time (batch_dates=1 is
    then required): its SQL may compute D's rows with plain joins and group-bys where a
    window of many dates needs running sums and as-of joins. Outside a batch it is
    build_from_date(); a unit test of such a model sets it (overrides: macros). -#}
{% macro batch_from_date() -%}
    /*batch_from*/{{ build_from_date() }}/*end*/
{%- endmacro %}

{% macro batch_to_date() -%}
    /*batch_to*/cast('9999-12-31' as date)/*end*/
{%- endmacro %}

{% macro batch_date() -%}
    /*batch_on*/{{ build_from_date() }}/*end*/
{%- endmacro %}

{% macro batch_prev_date() -%}
    /*batch_prev*/{{ loaded_date_before(build_from_date()) }}/*end*/
{%- endmacro %}

{#- The statements' SELECTs of a batched model, one per batch_dates loaded dates from
    build_from_date() on, each filtered to its dates; [] for a model without
    batch_dates, and for one with no date to build. -#}
{% macro puhui_batches(sql) -%}
  {%- set size = config.get('batch_dates') -%}
  {%- if not size -%}
    {{- return([]) -}}
  {%- endif -%}
  {%- set from_mark, to_mark, on_mark = batch_from_date(), batch_to_date(), batch_date() -%}
  {%- if on_mark in sql and size != 1 -%}
    {{ exceptions.raise_compiler_error(
        this ~ " uses batch_date(), which needs batch_dates=1; it has batch_dates=" ~ size) }}
  {%- endif -%}
  {%- if on_mark not in sql and (from_mark not in sql or to_mark not in sql) -%}
    {{ exceptions.raise_compiler_error(
        this ~ " has batch_dates but its SQL lacks batch_date(), or batch_from_date() and "
        ~ "batch_to_date()") }}
  {%- endif -%}
  {#- rendering the prev mark runs loaded_date_before's query: only where it is used -#}
  {%- set prev_mark = batch_prev_date() if '/*batch_prev*/' in sql else none -%}
  {%- set query -%}
    select strftime(biz_date, '%Y-%m-%d'), strftime(coalesce(prev_biz_date,
        cast('1900-01-01' as date)), '%Y-%m-%d')
    from (
      select biz_date, lag(biz_date) over (order by biz_date) as prev_biz_date
      from {{ ref('int_loaded_dates') }}
    ) as loaded
    where biz_date >= {{ from_mark }} order by biz_date
  {%- endset -%}
  {%- set result = run_query(query) -%}
  {%- set dates, prevs = result.columns[0].values(), result.columns[1].values() -%}
  {%- set batches = [] -%}
  {%- for i in range(0, dates | length, size) -%}
    {%- set first, last = dates[i], dates[i:i + size][-1] -%}
    {%- set batch_sql = sql
        | replace(from_mark, "/*batch_from*/cast('" ~ first ~ "' as date)/*end*/")
        | replace(to_mark, "/*batch_to*/cast('" ~ last ~ "' as date)/*end*/")
        | replace(on_mark, "/*batch_on*/cast('" ~ first ~ "' as date)/*end*/") -%}
    {%- if prev_mark -%}
      {%- set batch_sql = batch_sql
          | replace(prev_mark, "/*batch_prev*/cast('" ~ prevs[i] ~ "' as date)/*end*/") -%}
    {%- endif -%}
    {%- do batches.append("select * from (" ~ batch_sql ~ ") as batch_rows where biz_date "
        ~ "between cast('" ~ first ~ "' as date) and cast('" ~ last ~ "' as date)") -%}
  {%- endfor -%}
  {{- return(batches) -}}
{%- endmacro %}
