"""The ID numbers a blacklist entry may carry (customer-ops.md §6): a resident ID of
GB 11643-1999 or a unified social credit code (统一社会信用代码) of GB 32100-2015.

Both are 18 characters whose last one is a check character over the first 17:

* GB 11643: 17 digits, weights 2^(17-i) mod 11 (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2),
  check = "10X98765432"[Σ mod 11];
* GB 32100: characters of "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z) valued
  by their position, weights 3^i mod 31 (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28),
  check = that alphabet's [(31 − Σ mod 31) mod 31].

The standards write letters in upper case. A lower-case x (or letter of a credit code)
is accepted and upper-cased by :func:`normalise` before the check and the keyed hash,
because the core system holds them in upper case and the hash must match CUST_INFO's.
"""

from __future__ import annotations

ID_LENGTH = 18

_RESIDENT_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_RESIDENT_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(3 ** i % 31 for i in range(17))


def normalise(value: str) -> str:
    """Surrounding blanks dropped, letters upper-cased (``…x`` → ``…X``)."""
    return value.strip().upper()


def resident_id_check(body: str) -> str:
    """The GB 11643 check character of 17 digits."""
    return _RESIDENT_CHECK[sum(int(c) * w for c, w in zip(body, _RESIDENT_WEIGHTS,
                                                          strict=True)) % 11]


def credit_code_check(body: str) -> str:
    """The GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def _looks_resident(value: str) -> bool:
    return len(value) == ID_LENGTH and value[:17].isascii() and value[:17].isdigit() \
        and value[17] in "0123456789X"


def _looks_credit_code(value: str) -> bool:
    return len(value) == ID_LENGTH and all(c in _USCC_ALPHABET for c in value)


def is_resident_id(value: str) -> bool:
    return _looks_resident(value) and resident_id_check(value[:17]) == value[17]


def is_credit_code(value: str) -> bool:
    return _looks_credit_code(value) and credit_code_check(value[:17]) == value[17]


def id_problem(value: str) -> str | None:
    """Why a normalised value is no valid ID number, or None when it is one. The text
    never quotes the value (it is PII)."""
    if not value:
        return "is empty"
    if len(value) != ID_LENGTH:
        return f"has {len(value)} characters, not {ID_LENGTH}"
    if is_resident_id(value) or is_credit_code(value):
        return None
    resident, credit = _looks_resident(value), _looks_credit_code(value)
    if resident and credit:  # 18 digits: either kind, and neither checks out
        return ("wrong check digit (neither a GB 11643 resident ID nor a GB 32100 unified "
                "social credit code)")
    if resident:
        return "wrong check digit (GB 11643 resident ID)"
    if credit:
        return "wrong check character (GB 32100 unified social credit code)"
    return ("holds characters neither a resident ID (17 digits and a digit or X) nor a "
            "unified social credit code (digits and capitals without I, O, S, V, Z) has")
