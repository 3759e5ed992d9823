{# indicators.md "The published indicator store": every org with status 1 on a
   loaded date x every org-grain code has a row (NULL when undefined), and no
   other org appears. Returns the (date, org) pairs with a wrong row count. #}
{{ store_completeness(ref('stg_t1__orgs'), 'org_no', 'org_status', ref('indicator_value'),
                      org_indicator_codes() | length) }}
