{# customer-ops.md §5, audited before publish: every admitted customer has a limit and
   no reject_reason; a rejected one has a reason and no limit (NULL when not admitted). #}
select biz_date, cust_no, admitted, reject_reason, limit_amt
from {{ ref('precredit') }}
where biz_date >= {{ test_from_date() }}
    and (
        admitted is null
        or (admitted and (limit_amt is null or reject_reason is not null))
        or (not admitted and (limit_amt is not null or reject_reason is null))
    )
