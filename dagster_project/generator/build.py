"""The province on the eve of the first business date: orgs, managers, grids,
customers, accounts, loans, credit limits and policies, all vectorised."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from dagster_project.generator import calendar as cal
from dagster_project.generator import idcodes
from dagster_project.generator.cols import Cols
from dagster_project.generator.model import (
    CONSUMER,
    DEMAND_SUBJ,
    FARMER,
    FX_START,
    INDIV_BIZ,
    INSURERS,
    LARGE,
    SME,
    TIME_RATE,
    TIME_TERM_P,
    TIME_TERMS,
    Orgs,
    Province,
)
from dagster_project.generator.reference import County, NamePools, name_pools, province
from dagster_project.generator.scales import Scale

YEAR = 365
BRANCH_NAMES = ("城关", "城东", "城西", "城南", "城北", "开发区", "新城", "产业集聚区")
SHOPS = ("农资经营部", "超市", "便利店", "饭店", "五金店", "养殖场", "种植园", "服装店",
         "维修部", "粮油店")
INDUSTRY = np.array(list("ABCDEFGHIJKLMNOPQRST"))


def pick(rng: np.random.Generator, p: list[float] | np.ndarray, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(p.size, n, p=p / p.sum())


def lognormal_cents(rng: np.random.Generator, median_yuan: float | np.ndarray, sigma: float,
                    n: int, round_yuan: int = 0) -> np.ndarray:
    y = np.asarray(median_yuan) * np.exp(rng.normal(0.0, sigma, n))
    if round_yuan:
        return (np.maximum(np.round(y / round_yuan), 1) * round_yuan * 100).astype(np.int64)
    return np.maximum(np.round(y * 100), 100).astype(np.int64)


def build_orgs(scale: Scale, rng: np.random.Generator, pools: NamePools,
               start: int) -> tuple[Orgs, np.ndarray]:
    prov_name, counties = province()
    chosen = np.sort(rng.choice(len(counties), scale.legal_entities, replace=False))
    no, name, level, parent, legal, region, opened, lon, lat, county = ([] for _ in range(10))
    hq = min(counties, key=lambda c: c.code)  # the union's seat: the province's first county

    def add(o: str, n: str, lv: int, par: int, leg: int, c: County, op: int) -> int:
        no.append(o), name.append(n), level.append(lv), parent.append(par)
        legal.append(leg), region.append(int(c.code)), opened.append(op)
        lon.append(c.lon), lat.append(c.lat), county.append(c.name)
        return len(no) - 1

    add(f"{hq.code[:2]}0000000", f"{prov_name}农村信用社联合社", 1, -1, -1, hq,
        cal.day_no(dt.date(2005, 9, 28)))
    per_le = np.full(scale.legal_entities, scale.outlets // scale.legal_entities)
    per_le[: scale.outlets % scale.legal_entities] += 1
    outlets: list[int] = []
    place_i = 0
    for i, ci in enumerate(chosen):
        c = counties[ci]
        kind = "农村商业银行" if i % 3 else "农村信用合作联社"
        le_name = (c.short if kind == "农村商业银行" else c.name) + kind
        le = add(f"{c.code}000", le_name, 2, 0, -1, c, start - int(rng.integers(8, 60)) * YEAR)
        legal[le] = le
        short = c.short + ("农商银行" if kind == "农村商业银行" else "联社")
        branches = [add(f"{c.code}1{b:02d}", f"{short}{_branch_name(b)}支行", 3, le, le, c,
                        start - int(rng.integers(5, 40)) * YEAR)
                    for b in range(scale.branches_per_le)]
        for o in range(int(per_le[i])):
            br = branches[o % len(branches)]
            town = pools.place[place_i % len(pools.place)]
            place_i += 1
            suffix = "分理处" if o % 4 == 3 else "信用社"
            outlets.append(add(f"{no[br]}{o // len(branches):02d}", f"{short}{town}{suffix}", 4,
                               br, le, c, start - int(rng.integers(3, 40)) * YEAR))
    # one merged outlet (撤并, status 0) shows the code in use; it holds no accounts
    c0 = counties[chosen[0]]
    merged = add(f"{c0.code}199", f"{counties[chosen[0]].short}原城郊信用社", 4, 2, 1, c0,
                 start - 30 * YEAR)
    status = np.ones(len(no), dtype=np.int8)
    status[merged] = 0
    orgs = Orgs(no, name, np.array(level, np.int8), np.array(parent), np.array(legal),
                np.array(region, np.int64), status, np.array(opened), np.array(lon),
                np.array(lat), county)
    return orgs, np.array(outlets)


def _branch_name(b: int) -> str:
    return BRANCH_NAMES[b] if b < len(BRANCH_NAMES) else f"第{b + 1}"


MemberIndex = tuple[np.ndarray, np.ndarray, np.ndarray]  # members by group, starts, counts


def offsets(group: np.ndarray, n_groups: int) -> MemberIndex:
    """Members sorted by group, with each group's start and size, for vectorised draws."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return order, starts, counts


def draw_member(rng: np.random.Generator, groups: np.ndarray, index: MemberIndex) -> np.ndarray:
    """For each entry of ``groups``, a random member of that group (-1 if it has none)."""
    order, starts, counts = index
    cnt = counts[groups]
    pos = starts[groups] + (rng.random(groups.size) * np.maximum(cnt, 1)).astype(np.int64)
    return np.where(cnt > 0, order[np.minimum(pos, order.size - 1)], -1)


def build_managers(p_scale: Scale, rng: np.random.Generator, orgs: Orgs, outlets: np.ndarray,
                   start: int, n: int | None = None) -> Cols:
    n = p_scale.managers if n is None else n
    n_out = outlets.size
    branches = np.flatnonzero(orgs.level == 3)
    at_branch = max(int(n * 0.1), 1) if n > n_out else 0
    at_outlet = n - at_branch
    o = np.concatenate([outlets, outlets[rng.integers(0, n_out, max(at_outlet - n_out, 0))]])
    org = np.concatenate([o[:at_outlet], branches[rng.integers(0, branches.size, at_branch)]])
    post = np.where(orgs.level[org] == 3, 1 + pick(rng, [0, 0.7, 0.3], n),
                    1 + pick(rng, [0.45, 0.1, 0.45], n))
    status = (rng.random(n) > 0.03).astype(np.int8)
    return Cols(org=org, post=post.astype(np.int8), status=status,
                hire=start - rng.integers(30, 30 * YEAR, n), name=rng.integers(0, 6000, n),
                phone=idcodes.phones(n, rng), id=np.arange(1, n + 1))


def build_grids(scale: Scale, rng: np.random.Generator, orgs: Orgs, outlets: np.ndarray,
                mgr_index: MemberIndex, pools: NamePools) -> Cols:
    g = scale.grids_per_outlet
    outlet_of = np.repeat(outlets, g)
    n = outlet_of.size
    place = rng.integers(0, len(pools.place), n)
    place[:: max(n // 6, 1)] = 0  # make sure village names with rare characters occur
    names = pl.Series(pools.place).gather(place) + "村"
    # centres within a few km of the county centroid (0.03° ≈ 3 km)
    lon = np.round((orgs.lon[outlet_of] + np.clip(rng.normal(0, 0.03, n), -0.1, 0.1)) * 1e6)
    lat = np.round((orgs.lat[outlet_of] + np.clip(rng.normal(0, 0.03, n), -0.1, 0.1)) * 1e6)
    return Cols(id=np.arange(1, n + 1), name=names, org=outlet_of,
                mgr=draw_member(rng, outlet_of, mgr_index), region=orgs.region[outlet_of],
                hh=rng.integers(150, 1500, n), lon=lon.astype(np.int64), lat=lat.astype(np.int64))


def build_customers(scale: Scale, rng: np.random.Generator, orgs: Orgs, outlets: np.ndarray,
                    mgr_index: MemberIndex, grid_first: np.ndarray, pools: NamePools,
                    day: int, n: int, first_id: int, opened_today: bool = False) -> Cols:
    """``n`` customers; ``grid_first[outlet_org]`` is that outlet's first grid index."""
    ctype = (1 + pick(rng, [0.86, 0.06, 0.08], n)).astype(np.int8)
    outlet = outlets[rng.integers(0, outlets.size, n)]
    person = ctype != 2
    male = rng.random(n) < 0.52
    age_days = rng.integers(20 * YEAR, 75 * YEAR, n)
    birth = np.where(person, day - age_days, cal.NO_DATE)
    region = orgs.region[outlet]
    farmer = np.where(person, (rng.random(n) < np.where(ctype == 1, 0.65, 0.3)).astype(np.int8),
                      -1)
    scale_ = np.where(ctype == 2, 1 + pick(rng, [0.02, 0.08, 0.40, 0.50], n), 0)
    ind_p = [0.18, 0.01, 0.18, 0.01, 0.02, 0.12, 0.20, 0.05, 0.06, 0.01, 0.0, 0.02, 0.02, 0.01,
             0.01, 0.05, 0.01, 0.01, 0.01, 0.02]
    industry = np.where(ctype == 1, np.where(farmer == 1, 0, -1), pick(rng, ind_p, n))
    education = np.where(person, np.array([0, 10, 20, 30, 40, 50])[
        pick(rng, [0.09, 0.01, 0.08, 0.12, 0.25, 0.45], n)], 0)
    marital = np.where(person, pick(rng, [0.06, 0.15, 0.70, 0.05, 0.04], n), 0)
    if opened_today:
        opened = np.full(n, day)
    else:
        opened = day - rng.integers(1, 25 * YEAR, n)
        opened = np.where(person, np.maximum(opened, birth + 18 * YEAR), opened)
    # names: people from the Faker pool; 个体工商户 "<county><person><shop>"; enterprises
    # "<county><company>有限公司" or a 农民专业合作社 for agriculture
    pn = pl.Series(pools.person).gather(rng.integers(0, len(pools.person), n))
    if n >= 50 and not opened_today:
        # a dozen rare-character names even in the smallest province (pool entry 200·k)
        where = np.arange(0, n, max(n // 12, 1))
        rare = pl.Series(pools.person[::200])
        pn = pn.scatter(where, rare.gather(np.arange(where.size) % rare.len()))
    county = pl.Series(orgs.county).gather(outlet)
    shop = pl.Series(SHOPS).gather(rng.integers(0, len(SHOPS), n))
    comp = pl.Series(pools.company).gather(rng.integers(0, len(pools.company), n))
    ent_suffix = pl.Series(np.where(industry == 0, "农民专业合作社", "有限公司"))
    name = (pl.DataFrame({"t": ctype, "pn": pn, "c": county, "s": shop, "co": comp,
                          "es": ent_suffix})
            .select(pl.when(pl.col("t") == 1).then(pl.col("pn"))
                    .when(pl.col("t") == 3).then(pl.col("c") + pl.col("pn") + pl.col("s"))
                    .otherwise(pl.col("c") + pl.col("co") + pl.col("es")))
            .to_series())
    ip, ie = np.flatnonzero(person), np.flatnonzero(~person)
    ids = pl.concat([idcodes.resident_ids(region[ip], cal.ymd(birth[ip]), male[ip], rng),
                     idcodes.credit_codes(region[ie], rng)])
    where = np.empty(n, np.int64)
    where[ip], where[ie] = np.arange(ip.size), ip.size + np.arange(ie.size)
    id_no = ids.gather(where)
    grid = np.where(person & (rng.random(n) < 0.88),
                    grid_first[outlet] + rng.integers(0, scale.grids_per_outlet, n), -1)
    return Cols(
        id=np.arange(first_id, first_id + n), type=ctype, name=name, id_no=id_no,
        gender=np.where(person, np.where(male, 1, 2), 0).astype(np.int8), birth=birth,
        education=education, marital=marital, phone=idcodes.phones(n, rng), region=region,
        farmer=farmer, scale=scale_, industry=industry, mgr=draw_member(rng, outlet, mgr_index),
        grid=grid, open=opened, status=(rng.random(n) > (0.0 if opened_today else 0.01)).astype(
            np.int8), owner=np.full(n, -1), outlet=outlet, le=orgs.legal[outlet],
    )


def link_owners(rng: np.random.Generator, custs: Cols) -> None:
    """小微企业主: half the small/micro enterprises have a personal owner on file."""
    ents = np.flatnonzero((custs["type"] == 2) & (custs["scale"] >= 3))
    ents = ents[rng.random(ents.size) < 0.5]
    persons = np.flatnonzero((custs["type"] == 1) & (custs["status"] == 1))
    k = min(ents.size, persons.size // 4)
    owners = rng.choice(persons, k, replace=False)
    custs["owner"][owners] = ents[:k]


def deposit_subject(rng: np.random.Generator, ctype: np.ndarray) -> np.ndarray:
    n = ctype.size
    personal = pick(rng, [0.6, 0.4], n)  # 个人活期 / 个人定期
    corp = 2 + pick(rng, [0.65, 0.20, 0.15], n)  # 单位活期 / 单位定期 / 保证金
    return np.where(ctype == 2, corp, personal).astype(np.int8)


def new_deposits(p: Province, rng: np.random.Generator, cust: np.ndarray, subj: np.ndarray,
                 opened: np.ndarray, day: int) -> Cols:
    """Accounts of ``cust`` with subjects ``subj``; balance 0 (the caller credits them)."""
    c = p.custs
    n = cust.size
    demand = DEMAND_SUBJ[subj]
    term_i = pick(rng, TIME_TERM_P, n)
    term = np.where(demand, 0, TIME_TERMS[term_i])
    mature = np.where(demand, cal.NO_DATE, 0)
    if n:
        mature = np.where(demand, cal.NO_DATE, cal.add_months(opened, term))
    rate = np.where(demand, np.where(subj == 0, 1000, 1500), TIME_RATE[term_i] + np.where(
        subj == 3, 2000, 0))
    has_mgr = rng.random(n) < 0.85
    return Cols(
        id=p.take_ids("acct", n), cust=cust, outlet=c["outlet"][cust], le=c["le"][cust],
        subj=subj, ccy=np.zeros(n, np.int8), bal=np.zeros(n, np.int64), open=opened,
        mature=mature, term=term, rate=rate.astype(np.int64), status=np.ones(n, np.int8),
        mgr=np.where(has_mgr, c["mgr"][cust], -1),
        activity=np.zeros(n, np.int64), opening=np.zeros(n, bool),
        pushed=np.zeros(n, np.int64),
    )


def build_deposits(p: Province, rng: np.random.Generator, day: int) -> Cols:
    c = p.custs
    active = np.flatnonzero(c["status"] == 1)
    n = p.scale.deposit_accounts
    weight = np.where(c["type"][active] == 2, 3.0, 1.0)
    extra = rng.choice(active, max(n - active.size, 0), p=weight / weight.sum())
    cust = np.concatenate([active[:n], extra])
    first = np.zeros(cust.size, bool)
    first[: min(active.size, n)] = True
    subj = deposit_subject(rng, c["type"][cust])
    subj = np.where(first, np.where(c["type"][cust] == 2, 2, 0), subj).astype(np.int8)
    opened = np.maximum(c["open"][cust], day - rng.integers(1, 15 * YEAR, cust.size))
    d = new_deposits(p, rng, cust, subj, opened, day)
    demand = DEMAND_SUBJ[subj]
    # time deposits still running: opened within their term, so maturity lies ahead
    term_days = d["term"] * 30
    opened_t = day - (rng.random(cust.size) * np.maximum(term_days - 1, 1)).astype(np.int64) - 1
    d["open"] = np.where(demand, opened, np.maximum(opened_t, c["open"][cust]))
    d["mature"] = np.where(demand, cal.NO_DATE, cal.add_months(d["open"], d["term"]))
    d["mature"] = np.where(~demand & (d["mature"] <= day), day + 1 + rng.integers(0, 90, cust.size),
                           d["mature"])
    medians = np.array([2_500, 40_000, 150_000, 1_000_000, 100_000])[subj]
    sigma = 1.5
    bal = lognormal_cents(rng, medians, sigma, cust.size)
    bal = np.where(demand, bal, (bal // 10_000) * 10_000 + 10_000)  # 定期 in whole 100s
    # 久悬户: a tenth of demand accounts lie empty and unused until they are closed
    dormant = demand & (rng.random(cust.size) < 0.10)
    bal = np.where(dormant, 0, bal)
    # foreign-currency demand accounts: every 150th demand account, currencies in turn
    dem_idx = np.flatnonzero(demand & (subj != 4))
    fx_idx = dem_idx[75::150]
    d["ccy"][fx_idx] = 1 + np.arange(fx_idx.size) % 4
    fx = FX_START[d["ccy"]]
    bal = (bal * 1_000_000 // fx).astype(np.int64)
    d["bal"] = bal
    d["rate"] = np.where(d["ccy"] > 0, 500, d["rate"])
    d["activity"] = np.where(dormant, 0, np.maximum(bal // 5, 20_000 * 1_000_000 // fx))
    d["status"] = np.where(rng.random(cust.size) < 0.003, 2, 1).astype(np.int8)
    return d


# per borrower category (FARMER, OWNER, INDIV_BIZ, SME, LARGE, CONSUMER): median loan in
# yuan and share of loans by count. Gives a rural book where 普惠 loans are about half
# the balance and a few large corporate loans the other big block.
CAT_MEDIAN = np.array([60_000, 400_000, 200_000, 1_200_000, 10_000_000, 80_000])
CAT_SHARE = [0.46, 0.10, 0.15, 0.12, 0.02, 0.15]
CAT_RISK = np.array([0.03, 0.02, 0.03, 0.02, 0.005, 0.025])  # P(miss) per due date


def loan_amounts(rng: np.random.Generator, cat: np.ndarray, sigma: float) -> np.ndarray:
    """Loan sizes in cents: lognormal around the category median, capped at 5× it (a
    rural bank's concentration limits keep any one loan a small share of the book)."""
    amount = lognormal_cents(rng, CAT_MEDIAN[cat], sigma, cat.size, round_yuan=1000)
    return np.minimum(amount, CAT_MEDIAN[cat] * 500)


def loan_terms(rng: np.random.Generator, cat: np.ndarray) -> np.ndarray:
    n = cat.size
    short = np.array([12, 24, 36])[pick(rng, [0.6, 0.25, 0.15], n)]
    long_ = np.array([12, 24, 36, 60])[pick(rng, [0.35, 0.3, 0.2, 0.15], n)]
    return np.where((cat == SME) | (cat == LARGE) | (cat == CONSUMER), long_, short)


def loan_profile(rng: np.random.Generator, custs: Cols, cust: np.ndarray,
                 cat: np.ndarray) -> dict[str, np.ndarray]:
    """Subject, purpose, guarantee, flags and prices that follow from the borrower type."""
    n = cust.size
    u = rng.random(n)
    purpose = np.select(
        [cat == FARMER, cat == INDIV_BIZ, cat == CONSUMER],
        [np.where(u < 0.85, 1, 2), np.where(u < 0.9, 1, 3), np.where(u < 0.1, 1,
                                                                     np.where(u < 0.85, 2, 3))],
        1)
    u2 = rng.random(n)
    subj = np.where((cat == SME) | (cat == LARGE), np.where(u2 < 0.75, 2, 3),
                    np.where(purpose == 1, 0, 1))
    guar = np.where(np.isin(cat, [SME, LARGE]), 1 + pick(rng, [0.05, 0.35, 0.5, 0.1], n),
                    1 + pick(rng, [0.55, 0.33, 0.12, 0.0], n))
    agri = ((custs["farmer"][cust] == 1) | (custs["industry"][cust] == 0)).astype(np.int8)
    channel = np.where(np.isin(cat, [FARMER, CONSUMER]) & (rng.random(n) < 0.35), 2, 1)
    base = np.array([55_000, 48_000, 52_000, 42_000, 36_000, 62_000])[cat]
    rate = base + rng.integers(-6, 20, n) * 1000
    return {"purpose": purpose.astype(np.int8), "subj": subj.astype(np.int8),
            "guar": guar.astype(np.int8), "agri": agri, "channel": channel.astype(np.int8),
            "rate": rate.astype(np.int64)}


def make_loans(p: Province, rng: np.random.Generator, cust: np.ndarray, cat: np.ndarray,
               amount: np.ndarray, disb: np.ndarray, term: np.ndarray) -> Cols:
    c = p.custs
    n = cust.size
    prof = loan_profile(rng, c, cust, cat)
    outlet = c["outlet"][cust]
    at_branch = np.isin(cat, [SME, LARGE]) & (rng.random(n) < 0.5)
    org = np.where(at_branch, p.orgs.parent[outlet], outlet)
    mode = np.where(rng.random(n) < np.where(cat == CONSUMER, 0.8, 0.35), 1, 2).astype(np.int8)
    ids = p.take_ids("loan", n)
    return Cols(
        id=ids, contract=ids + 70_000_000, cust=cust, org=org, le=c["le"][cust],
        cat=cat.astype(np.int8), subj=prof["subj"], ccy=np.zeros(n, np.int8), disb_amt=amount,
        bal=amount.copy(), disb=disb, mature=cal.add_months(disb, term), term=term,
        rate=prof["rate"], judg=np.zeros(n, np.int8), od=np.zeros(n, np.int64),
        od_prin=np.zeros(n, np.int64), od_int=np.zeros(n, np.int64), guar=prof["guar"],
        agri=prof["agri"], purpose=prof["purpose"], channel=prof["channel"],
        mgr=c["mgr"][cust], status=np.ones(n, np.int8), mode=mode,
        risk=CAT_RISK[cat] * np.exp(rng.normal(0, 0.5, n)),
    )


def borrower_pools(c: Cols) -> list[np.ndarray]:
    ok = c["status"] == 1
    person = ok & (c["type"] == 1)
    return [
        np.flatnonzero(person & (c["farmer"] == 1) & (c["owner"] < 0)),
        np.flatnonzero(person & (c["owner"] >= 0)),
        np.flatnonzero(ok & (c["type"] == 3)),
        np.flatnonzero(ok & (c["type"] == 2) & (c["scale"] >= 3)),
        np.flatnonzero(ok & (c["type"] == 2) & (c["scale"] <= 2)),
        np.flatnonzero(person & (c["farmer"] == 0) & (c["owner"] < 0)),
    ]


def build_loans(p: Province, rng: np.random.Generator, day: int) -> Cols:
    n = p.scale.loans
    pools = borrower_pools(p.custs)
    share = np.array([s if pools[i].size else 0.0 for i, s in enumerate(CAT_SHARE)])
    cat = pick(rng, share, n)
    cust = np.empty(n, np.int64)
    for k in range(6):
        sel = cat == k
        cust[sel] = pools[k][rng.integers(0, max(pools[k].size, 1), sel.sum())]
    amount = loan_amounts(rng, cat, 0.8)
    term = loan_terms(rng, cat)
    disb = day - 1 - (rng.random(n) * (term * 30 - 2)).astype(np.int64)
    lo = make_loans(p, rng, cust, cat, amount, disb, term)
    # principal already repaid: equal-principal loans by elapsed months, some bullets prepaid
    months = np.maximum((day - disb) // 30, 0)
    inst = -(-amount // term)
    paid = np.where(lo["mode"] == 1, np.minimum(inst * months, amount - 100),
                    np.where(rng.random(n) < 0.1, (amount * rng.uniform(0.1, 0.7, n)).astype(
                        np.int64), 0))
    lo["bal"] = amount - paid
    _seed_overdue(lo, rng, day)
    return lo


# Initial arrears so the first delivery already has a rural bank's asset quality
# (NPL 1.5-4 %): share of loans per overdue bucket (lower, upper days).
OD_BUCKETS = ((1, 30, 0.022), (31, 90, 0.010), (91, 180, 0.007), (181, 270, 0.004),
              (271, 360, 0.004), (361, 900, 0.006))


def _seed_overdue(lo: Cols, rng: np.random.Generator, day: int) -> None:
    n = len(lo)
    # low-discrepancy draw over the loans ranked by size, so every size band gets its
    # share of arrears: with independent draws a handful of large corporate loans
    # swung a small province's NPL ratio between 1 % and 5 %
    rank = np.empty(n, np.int64)
    rank[np.argsort(lo["disb_amt"], kind="stable")] = np.arange(n)
    u = (rank * 0.6180339887498949 + rng.random()) % 1.0
    od = np.zeros(n, np.int64)
    acc = 0.0
    for lo_d, hi_d, share in OD_BUCKETS:
        sel = (u >= acc) & (u < acc + share)
        od[sel] = rng.integers(lo_d, hi_d + 1, sel.sum())
        acc += share
    long_ = od > 90
    # long arrears: the loan matured unpaid `od` days ago, all principal overdue
    lo["mature"] = np.where(long_, day - od + 1, lo["mature"])
    lo["disb"] = np.where(long_, cal.add_months(lo["mature"], -lo["term"]), lo["disb"])
    bal = lo["bal"]
    inst = -(-lo["disb_amt"] // lo["term"])
    short_prin = np.where(lo["mode"] == 1, np.minimum(inst * (1 + od // 30), bal), 0)
    lo["od_prin"] = np.where(long_, bal, np.where(od > 0, short_prin, 0))
    lo["od_int"] = np.where(od > 0, bal * lo["rate"] * od // 365_000_000, 0)
    lo["od"] = od
    # judgment downgrades (the 2023 rule lets the bank class worse than arrears imply)
    v = rng.random(n)
    lo["judg"] = np.select([(od == 0) & (v < 0.025), (od == 0) & (v < 0.029),
                            (od > 0) & (od <= 90) & (v < 0.08)], [2, 3, 3], 0).astype(np.int8)
    lo["risk"] = np.where(od > 0, np.maximum(lo["risk"], 0.3), lo["risk"])


def build_limits(p: Province, rng: np.random.Generator, day: int) -> Cols:
    lo, c = p.loans, p.custs
    order = np.argsort(lo["cust"], kind="stable")
    borrowers, first = np.unique(lo["cust"][order], return_index=True)
    total = np.add.reduceat(lo["disb_amt"][order], first)
    earliest = np.minimum.reduceat(lo["disb"][order], first)
    nb = borrowers.size
    amt = (np.ceil(total * rng.uniform(1.0, 1.6, nb) / 1_000_000) * 1_000_000).astype(np.int64)
    start = earliest - rng.integers(0, 60, nb)
    years = 1 + pick(rng, [0.5, 0.2, 0.3], nb)
    end = cal.add_months(start, years * 12)
    # 授信未用信: about a third more customers hold a limit without a loan
    idle_pool = np.setdiff1d(np.flatnonzero((c["status"] == 1) & (c["type"] != 2)), borrowers)
    k = min(idle_pool.size, nb // 3)
    idle = rng.choice(idle_pool, k, replace=False) if k else np.array([], np.int64)
    i_amt = lognormal_cents(rng, 100_000, 0.7, k, round_yuan=10_000)
    i_start = day - rng.integers(1, 3 * YEAR, k)
    i_end = cal.add_months(i_start, 12 * (1 + pick(rng, [0.6, 0.2, 0.2], k)))
    cust = np.concatenate([borrowers, idle])
    n = cust.size
    lim = Cols(id=p.take_ids("limit", n), cust=cust, org=c["outlet"][cust],
               amt=np.concatenate([amt, i_amt]), start=np.concatenate([start, i_start]),
               end=np.concatenate([end, i_end]),
               type=(1 + (rng.random(n) < 0.6)).astype(np.int8),
               revoked=(rng.random(n) < 0.03))
    _threshold_cases(p, lim, day)
    return lim


def _threshold_cases(p: Province, lim: Cols, day: int) -> None:
    """Borrowers at the inclusive-credit thresholds (indicators.md 普惠: single-household
    credit ≤ 10,000,000 for small/micro enterprises, ≤ 5,000,000 for farmers)."""
    lo = p.loans
    cases = ((SME, (9_990_000, 10_000_000, 10_500_000)), (FARMER, (4_990_000, 5_000_000,
                                                                  5_200_000)))
    cust_first_limit = {int(cu): i for i, cu in reversed(list(enumerate(lim["cust"])))}
    for cat, amounts in cases:
        cand = np.flatnonzero((lo["cat"] == cat) & (lo["od"] == 0))
        done: list[int] = []
        for li in cand:
            cu = int(lo["cust"][li])
            if cu in done or (lo["cust"] == cu).sum() != 1:
                continue
            a = amounts[len(done)] * 100
            done.append(cu)
            j = cust_first_limit[cu]
            lim["amt"][j], lim["end"][j], lim["revoked"][j] = a, day + 400, False
            lim["start"][j] = min(lim["start"][j], lo["disb"][li])
            lo["disb_amt"][li] = a * 9 // 10 // 100_000 * 100_000
            lo["bal"][li] = lo["disb_amt"][li]
            lo["mode"][li] = 2
            lo["purpose"][li], lo["subj"][li] = 1, (2 if cat == SME else 0)
            if len(done) == len(amounts):
                break


def build_policies(p: Province, rng: np.random.Generator, day: int) -> Cols:
    c, n = p.custs, p.scale.policies
    pool = np.flatnonzero((c["status"] == 1) & (c["type"] == 1))
    cust = pool[rng.integers(0, pool.size, n)]
    freq = (1 + pick(rng, [0.25, 0.55, 0.20], n)).astype(np.int8)
    period = np.where(freq == 3, 1, 12)
    years = np.where(freq == 1, 1, np.array([3, 5, 10, 15, 20])[pick(rng, [.15, .3, .3, .15, .1],
                                                                         n)])
    premium = np.select([freq == 1, freq == 2], [lognormal_cents(rng, 50_000, 0.8, n, 1000),
                                                 lognormal_cents(rng, 6_000, 0.6, n, 100)],
                        lognormal_cents(rng, 500, 0.6, n, 10))
    issue = day - rng.integers(30, 6 * YEAR, n)
    elapsed = np.maximum((day - issue) // 30 // period, 0)  # periods since issue
    total_periods = years * 12 // period
    paid = np.minimum(elapsed + 1, total_periods)
    next_due = np.where((freq == 1) | (paid >= total_periods), cal.NO_DATE,
                        cal.add_months(issue, paid * period))
    next_due = np.where((next_due != cal.NO_DATE) & (next_due < day), day + rng.integers(0, 28, n),
                        next_due)
    status = np.ones(n, np.int8)
    status_date = issue.copy()
    reason = np.zeros(n, np.int8)
    regular_due = np.flatnonzero(next_due != cal.NO_DATE)
    stage = pick(rng, [0.84, 0.05, 0.05, 0.06], regular_due.size)  # 有效, 复效, 宽限期, 中止
    # in grace: spread evenly over days 60..1 of grace (longest first) so lapses fall
    # within any run of a few days, even in the smallest province
    g = regular_due[stage == 2]
    into = 60 - (np.arange(g.size) * 3) % 60
    next_due[g] = day - into
    status[g], status_date[g] = 2, next_due[g] + 1
    lp = regular_due[stage == 3]
    next_due[lp] = day - 61 - rng.integers(0, 700, lp.size)
    status[lp], status_date[lp] = 3, next_due[lp] + 61
    reason[lp] = 1 + pick(rng, [0.35, 0.2, 0.2, 0.1, 0.1, 0.05], lp.size)
    rv = regular_due[stage == 1]
    status[rv] = 4
    status_date[rv] = np.maximum(issue[rv], day - rng.integers(1, 400, rv.size))
    term = np.flatnonzero((rng.random(n) < 0.03) & (status == 1))  # 退保 / 满期 / 理赔终止
    status[term] = 5 + pick(rng, [0.6, 0.3, 0.1], term.size)
    status_date[term] = day - rng.integers(1, 300, term.size)
    next_due[term] = cal.NO_DATE
    outlet = c["outlet"][cust]
    prod = rng.integers(0, 3, n)
    return Cols(id=p.take_ids("policy", n), insurer=rng.integers(0, len(INSURERS), n),
                prod=prod, cust=cust, outlet=outlet, seller=c["mgr"][cust], issue=issue,
                freq=freq, premium=premium, years=years, next_due=next_due, status=status,
                status_date=status_date, reason=reason, period=period,
                paid=np.where(freq == 1, 1, paid))


def build_province(scale: Scale, seed: int, day: int) -> Province:
    """State at the end of ``day`` (the eve of the first business date)."""
    rng = np.random.default_rng([seed, 0])
    pools = name_pools(seed)
    orgs, outlets = build_orgs(scale, rng, pools, day)
    mgrs = build_managers(scale, rng, orgs, outlets, day)
    n_org = len(orgs.org_no)
    mgr_index = offsets(np.where(orgs.level[mgrs["org"]] == 4, mgrs["org"], n_org), n_org + 1)
    grids = build_grids(scale, rng, orgs, outlets, mgr_index, pools)
    grid_first = np.full(n_org + 1, -1)
    grid_first[outlets] = np.arange(outlets.size) * scale.grids_per_outlet
    custs = build_customers(scale, rng, orgs, outlets, mgr_index, grid_first, pools, day,
                            scale.customers, 1)
    link_owners(rng, custs)
    p = Province(scale, seed, pools, orgs, outlets, mgrs, grids, custs, Cols(), Cols(), Cols(),
                 Cols())
    p.next_id = {"cust": scale.customers + 1, "mgr": len(mgrs) + 1}
    p.deps = build_deposits(p, rng, day)
    p.loans = build_loans(p, rng, day)
    p.limits = build_limits(p, rng, day)
    p.pols = build_policies(p, rng, day)
    p.mgr_index, p.grid_first = mgr_index, grid_first
    # each org's "home" outlet: itself, or for a 支行 its first outlet (visit fallbacks)
    home = np.arange(n_org)
    for o in outlets[::-1]:
        home[orgs.parent[o]] = o
    p.home_outlet = home
    return p
