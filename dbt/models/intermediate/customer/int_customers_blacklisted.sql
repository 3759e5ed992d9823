{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='biz_date') }}
-- depends_on: {{ ref('int_loaded_dates') }}
{# Customers whose ID number is on the bank's blacklist in force on D (customer-ops.md
   §5 BLACKLIST, §6): listed_date <= D and (removed_date empty or D < removed_date),
   matched on the keyed hash of CUST_INFO.id_no. Every date uses the blacklist's
   current version (§6); loading a new version rebuilds the dates it changes
   (from_date). Only customer numbers leave this model, never the hash. #}
with

customer_ids as (

    select biz_date, cust_no, id_no_hash
    from {{ ref('stg_t1__customer_id_hashes') }}
    where biz_date >= {{ build_from_date() }} and id_no_hash is not null

),

blacklist as (

    select id_no_hash, listed_date, removed_date
    from {{ ref('stg_manual__blacklist_entries') }}

),

final as (

    select distinct
        customer_ids.biz_date,
        customer_ids.cust_no
    from customer_ids
    inner join blacklist
        on blacklist.id_no_hash = customer_ids.id_no_hash
        and blacklist.listed_date <= customer_ids.biz_date
        and (blacklist.removed_date is null or customer_ids.biz_date < blacklist.removed_date)

)

select * from final
