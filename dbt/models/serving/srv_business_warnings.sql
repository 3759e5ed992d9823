{# One row per business early warning that fired (fct_business_warnings, issue 16) in the
    serving layer's path convention (org_path_names), with the severity as a name: the
    行长战情室 panel reads it as it is, the value and threshold as text in the rule's
    unit (macro warning_text). The customer of a large outflow (subject_no) stays
    in the warehouse: the panel counts firings per org. #}
with

warnings as (

    select * from {{ ref('fct_business_warnings') }}

),

rules as (

    select rule_code, value_unit from {{ ref('warning_rules') }}

),

paths as (

    select biz_date, org_no, org_level, lvl2_org_name, lvl3_org_name, lvl4_org_name
    from {{ ref('int_org_paths') }}

),

final as (

    select
        warnings.biz_date,
        strftime(warnings.biz_date, '%Y-%m-%d') as biz_dt,
        warnings.rule_code,
        warnings.rule_name,
        warnings.severity,
        case warnings.severity
            when 'critical' then '严重' when 'warning' then '关注' else '提示'
        end as severity_name,
        warnings.org_no,
        warnings.org_name,
        paths.org_level,
        {{ org_path_names('paths') }},
        warnings.lvl2_org_no,
        warnings.lvl3_org_no,
        warnings.value,
        warnings.threshold,
        rules.value_unit,
        {{ warning_text('warnings.value', 'rules.value_unit') }} as value_text,
        {{ warning_text('warnings.threshold', 'rules.value_unit', signed=false) }}
            as threshold_text
    from warnings
    left join rules on rules.rule_code = warnings.rule_code
    left join paths on paths.biz_date = warnings.biz_date and paths.org_no = warnings.org_no

)

select * from final
