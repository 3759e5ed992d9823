"""Reference data: real GB/T 2260 counties (from the cpca package) and name pools.

The county list is read straight from ``cpca/resources/adcodes.csv`` (columns
adcode,name,longitude,latitude; 12-digit codes whose first 6 digits are the GB/T
2260 code). ``import cpca`` is avoided on purpose: it needs pkg_resources, which
this environment does not ship.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from faker import Faker

PROVINCE_PREFIX = "41"  # 河南省: >100 counties, enough for the 60 legal entities of `province`

# Characters outside GBK that GB18030 encodes only with four-byte sequences (CJK Ext-A
# and Ext-B). Real rural customer files carry such names (生僻字); a GBK decoder must
# fail on them (t1-extract-spec §2: the files are GB18030). Filtered below so only
# characters that really are four-byte in this Python's codec are used.
_RARE_CANDIDATES = "𠮷㛃䲜𪚥𡒄㙟䴉𬌗𬇙𫟷㸚𨱏𬘭"


def _is_four_byte_only(ch: str) -> bool:
    try:
        ch.encode("gbk")
        return False
    except UnicodeEncodeError:
        return len(ch.encode("gb18030")) == 4


RARE_CHARS: tuple[str, ...] = tuple(c for c in _RARE_CANDIDATES if _is_four_byte_only(c))


@dataclass(frozen=True)
class County:
    code: str  # 6-digit GB/T 2260 code
    name: str  # e.g. 兰考县
    lon: float
    lat: float

    @property
    def short(self) -> str:
        """兰考县 → 兰考 (two-character names such as 息县 keep their suffix)."""
        return self.name[:-1] if len(self.name) > 2 else self.name


def adcodes_csv() -> Path:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package (reference data for GB/T 2260 codes) is missing")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@lru_cache(maxsize=1)
def province() -> tuple[str, tuple[County, ...]]:
    """The province name and its counties (县 and county-level 市), sorted by code."""
    with adcodes_csv().open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    name = next(r["name"] for r in rows if r["adcode"] == PROVINCE_PREFIX + "0" * 10)
    counties = sorted(
        (
            County(r["adcode"][:6], r["name"], float(r["longitude"]), float(r["latitude"]))
            for r in rows
            if r["adcode"].startswith(PROVINCE_PREFIX)
            and r["adcode"][4:6] != "00"
            and r["name"][-1] in "县市"
            and r["longitude"]
        ),
        key=lambda c: c.code,
    )
    return name, tuple(counties)


@dataclass(frozen=True)
class NamePools:
    person: tuple[str, ...]  # personal names; a few carry a rare character
    surname: tuple[str, ...]
    company: tuple[str, ...]  # enterprise name cores, e.g. 鸿睿思博网络
    place: tuple[str, ...]  # town / village stems, e.g. 王集, 李家寨; a few rare


def name_pools(seed: int, n_person: int = 6000, n_company: int = 1500) -> NamePools:
    """Draw the pools once with Faker (zh_CN); the bulk of rows index into them."""
    fk = Faker("zh_CN")
    fk.seed_instance(seed)
    person = [fk.name() for _ in range(n_person)]
    surname = sorted({fk.last_name() for _ in range(400)})
    # every 200th person name gets a rare given-name character (about 0.5 %)
    for i in range(0, n_person, 200):
        sn = surname[i % len(surname)]
        person[i] = sn + RARE_CHARS[(i // 200) % len(RARE_CHARS)] + fk.first_name()[-1]
    company = [fk.company().removesuffix("有限公司") for _ in range(n_company)]
    stems = ["庄", "集", "寨", "屯", "营", "岗", "湾", "店", "楼", "桥", "沟", "河", "坡", "园",
             "铺", "家"]
    heads = ["", "东", "西", "南", "北", "前", "后", "大", "小", "新"]
    place = []
    for i in range(3000):
        h = heads[i % len(heads)] if i % 3 == 0 else ""
        place.append(h + surname[(i * 7) % len(surname)] + stems[(i * 13) % len(stems)])
    for i in range(0, len(place), 150):  # rare characters in village names too
        place[i] = RARE_CHARS[(i // 150) % len(RARE_CHARS)] + place[i][-1]
    return NamePools(tuple(person), tuple(surname), tuple(company), tuple(place))
