{# code_labels names every tag code of customer-ops.md §3 (customer_tags()) and every
   reject reason of §5 exactly once, so srv_customer_tag.tag_name and
   srv_precredit.reject_reason_name are never empty (those views are not tested row by
   row: _serving__models.yml). Returns each code without exactly one non-empty label. #}
with

expected as (

    {%- for tag_code, flag in customer_tags() %}
    select 'tag_code' as list_name, '{{ tag_code }}' as code union all
    {%- endfor %}
    {%- for reason in ['AGE', 'BAD_LOAN', 'BLACKLIST', 'HAS_CREDIT', 'LOW_SCORE'] %}
    select 'reject_reason', '{{ reason }}'{% if not loop.last %} union all{% endif %}
    {%- endfor %}

),

labelled as (

    select
        expected.list_name,
        expected.code,
        count(nullif(trim(code_labels.label), '')) as labels
    from expected
    left join {{ ref('code_labels') }} as code_labels
        on code_labels.list_name = expected.list_name and code_labels.code = expected.code
    group by expected.list_name, expected.code

)

select * from labelled where labels <> 1
