{# Orgs in their latest delivered state (architecture.md: dim_org, org_no grain)
   with the level labels and their level 1-4 ancestors. #}
with

paths as (

    select * from {{ ref('int_org_paths') }}

),

latest as (

    select paths.*
    from paths
    where paths.biz_date = (select max(all_paths.biz_date) from paths as all_paths
                            where all_paths.org_no = paths.org_no)

),

final as (

    select
        latest.org_no,
        latest.org_name,
        latest.org_level,
        {{ decode_code('org_level', 'cast(latest.org_level as varchar)') }} as org_level_name,
        latest.org_status,
        {{ decode_code('org_status', 'latest.org_status') }} as org_status_label,
        latest.parent_org_no,
        latest.legal_org_no,
        latest.region_code,
        latest.open_date,
        latest.lvl1_org_no,
        latest.lvl1_org_name,
        latest.lvl2_org_no,
        latest.lvl2_org_name,
        latest.lvl3_org_no,
        latest.lvl3_org_name,
        latest.lvl4_org_no,
        latest.lvl4_org_name,
        latest.biz_date as last_seen_date
    from latest

)

select * from final
