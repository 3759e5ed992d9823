{# Same completeness rule at manager grain: every manager with status 1 on a
   loaded date x every manager-grain code. #}
{{ store_completeness(ref('stg_t1__customer_managers'), 'mgr_no', 'mgr_status',
                      ref('mgr_indicator_value'), mgr_indicator_codes() | length) }}
