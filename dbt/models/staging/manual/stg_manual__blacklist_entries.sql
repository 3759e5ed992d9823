with

source as (

    select * from {{ source('manual', 'blacklist_current') }}

),

renamed as (

    -- the masked name and the free-text reason stay behind: matching needs the hash
    -- and the dates only (customer-ops.md §6)
    select
        id_no_hash,
        listed_date,
        removed_date
    from source

)

select * from renamed
