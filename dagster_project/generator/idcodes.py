"""Identity numbers and phones, vectorised with numpy.

- 居民身份证号码 follows GB 11643-1999: 6-digit region + birth date + 3-digit
  sequence (odd for men, even for women) + an ISO 7064 MOD 11-2 check character.
- 统一社会信用代码 follows GB 32100-2015: 登记管理部门 9 (market regulator),
  机构类别 1 (enterprise), region, a GB 11714 organisation code with its own
  check, and a MOD 31 check character.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"))
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def _weighted_digit_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ digit_i · weight_i over the decimal digits of ``values`` (most significant first,
    as many digits as weights), one digit position at a time to keep memory flat."""
    v = values.astype(np.int64).copy()
    total = np.zeros(v.size, np.int64)
    for w in weights[::-1]:
        total += (v % 10) * int(w)
        v //= 10
    return total


def id_check_char(first17: np.ndarray) -> np.ndarray:
    """GB 11643 check character for 17-digit bodies given as int64."""
    return _ID_CHECK[_weighted_digit_sum(first17, _ID_WEIGHTS) % 11]


def resident_ids(region: np.ndarray, birth_ymd: np.ndarray, male: np.ndarray,
                 rng: np.random.Generator) -> pl.Series:
    """18-character 居民身份证号码 whose birth date and gender digit match the customer."""
    seq = rng.integers(0, 500, region.size) * 2 + np.where(male, 1, 0)  # odd = male
    body = region.astype(np.int64) * 10**11 + birth_ymd.astype(np.int64) * 1000 + seq
    return pl.Series(body).cast(pl.Utf8) + pl.Series(id_check_char(body))


def credit_codes(region: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """18-character 统一社会信用代码 (GB 32100) with valid organisation-code and final checks."""
    n = region.size
    org_body = rng.integers(10_000_000, 100_000_000, n)
    c9 = 11 - _weighted_digit_sum(org_body, _ORG_WEIGHTS) % 11  # GB 11714: 10 → X, 11 → 0
    c9c = np.where(c9 == 10, "X", np.where(c9 == 11, "0", (c9 % 10).astype(str)))
    c9v = np.where(c9 == 10, _USCC_CHARS.index("X"), np.where(c9 == 11, 0, c9))
    # positions 1-8 ("91" + region), 9-16 (organisation body), 17 (its check)
    head = 9 * _USCC_WEIGHTS[0] + 1 * _USCC_WEIGHTS[1]
    s = (head + _weighted_digit_sum(region, _USCC_WEIGHTS[2:8])
         + _weighted_digit_sum(org_body, _USCC_WEIGHTS[8:16]) + c9v * _USCC_WEIGHTS[16]) % 31
    c18 = np.array(list(_USCC_CHARS))[(31 - s) % 31]
    body16 = 91 * 10**14 + region.astype(np.int64) * 10**8 + org_body
    return pl.Series(body16).cast(pl.Utf8) + pl.Series(c9c) + pl.Series(c18)


def phones(n: int, rng: np.random.Generator) -> np.ndarray:
    """11-digit mainland mobile numbers (13x/15x/17x/18x/19x), as int64 to save memory."""
    second = np.array([3, 5, 7, 8, 9])[rng.integers(0, 5, n)]
    rest = rng.integers(0, 10**9, n)
    return (10**10 + second * 10**9 + rest).astype(np.int64)
