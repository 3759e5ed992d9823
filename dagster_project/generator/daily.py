"""One business date of the province: what changes between two deliveries.

Every flow is drawn with a day-specific generator (seed, date) so the same run
reproduces byte for byte. Balances move only through the day's events:
DEP_TXN for deposits (balance(D) = balance(D−1) + credits − debits, never below 0)
and LOAN_REPAY for loans (balance decrease = principal repaid).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from dagster_project.generator import calendar as cal
from dagster_project.generator.build import (
    build_customers,
    deposit_subject,
    draw_member,
    loan_amounts,
    loan_terms,
    lognormal_cents,
    make_loans,
    new_deposits,
    pick,
)
from dagster_project.generator.cols import Cols
from dagster_project.generator.model import DEMAND_SUBJ, FX_START, DayEvents, Province

GRACE_DAYS = 60  # 保险法 §36: 60-day grace period for regular premiums, then 中止


def step(p: Province, d: dt.date) -> DayEvents:
    day = cal.day_no(d)
    rng = np.random.default_rng([p.seed, 1, day])
    flags = cal.period_flags(d)
    _purge(p)
    _fx(p, rng)
    _managers(p, rng, day)
    _new_customers(p, rng, day)
    txns = _deposits(p, rng, day, flags)
    repays = _loans(p, rng, day, flags)
    _policies(p, rng, day)
    visits = _visits(p, rng, day, flags)
    return DayEvents(repays=repays, txns=txns, visits=visits)


def _purge(p: Province) -> None:
    """Closed accounts and settled/written-off loans appeared once with their closing
    status (t1-extract-spec §3, full tables) and are absent from then on."""
    p.deps = p.deps.filter(p.deps["status"] != 0)
    p.loans = p.loans.filter(p.loans["status"] == 1)


def _fx(p: Province, rng: np.random.Generator) -> None:
    # a small daily move of the middle rate (σ 0.15 %), mean-reverting to the start level
    drift = (FX_START - p.fx) * 0.05
    p.fx = np.round(p.fx + drift + p.fx * rng.normal(0, 0.0015, p.fx.size)).astype(np.int64)
    p.fx[0] = 1_000_000  # CNY itself is 1


def _managers(p: Province, rng: np.random.Generator, day: int) -> None:
    m = p.mgrs
    leaving = (m["status"] == 1) & (rng.random(len(m)) < 0.0004)
    m["status"][leaving] = 0
    n_new = int(rng.poisson(len(m) * 0.0004))
    if n_new:
        org = p.outlets[rng.integers(0, p.outlets.size, n_new)]
        ids = p.take_ids("mgr", n_new)
        from dagster_project.generator import idcodes

        m.append(Cols(org=org, post=(1 + pick(rng, [0.45, 0.1, 0.45], n_new)).astype(np.int8),
                      status=np.ones(n_new, np.int8), hire=np.full(n_new, day),
                      name=rng.integers(0, len(p.pools.person), n_new),
                      phone=idcodes.phones(n_new, rng), id=ids))


def _new_customers(p: Province, rng: np.random.Generator, day: int) -> None:
    n = int(rng.poisson(max(p.scale.customers * 0.0002, 0.5)))
    if not n:
        return
    first = p.take_ids("cust", n)[0]
    new = build_customers(p.scale, rng, p.orgs, p.outlets, p.mgr_index, p.grid_first, p.pools,
                          day, n, int(first), opened_today=True)
    p.custs.append(new)
    # every new customer opens a demand account today (credited in _deposits)
    idx = np.arange(len(p.custs) - n, len(p.custs))
    subj = np.where(p.custs["type"][idx] == 2, 2, 0).astype(np.int8)
    _open_accounts(p, rng, idx, subj, day)


def _open_accounts(p: Province, rng: np.random.Generator, cust: np.ndarray, subj: np.ndarray,
                   day: int) -> None:
    d = new_deposits(p, rng, cust, subj, np.full(cust.size, day), day)
    d["activity"] = np.full(cust.size, 50_000)
    d["opening"] = np.ones(cust.size, bool)  # credited with an opening deposit today
    p.deps.append(d)


def _deposits(p: Province, rng: np.random.Generator, day: int, flags: dict[str, bool]) -> Cols:
    # ordinary new accounts, more of them when branches push for period-end balances
    push = flags["quarter_push"] or flags["year_push"]
    n_open = int(rng.poisson(len(p.deps) * 0.0006 * (2.5 if push else 1.0)
                             * (0.4 if flags["weekend"] else 1.0)))
    active_c = np.flatnonzero(p.custs["status"] == 1)
    if n_open and active_c.size:
        cust = active_c[rng.integers(0, active_c.size, n_open)]
        _open_accounts(p, rng, cust, deposit_subject(rng, p.custs["type"][cust]), day)
    dep = p.deps
    n = len(dep)
    demand = DEMAND_SUBJ[dep["subj"]]
    live = dep["status"] == 1
    opening = dep["opening"]

    # --- ordinary traffic on demand accounts (Poisson count per account) ---------
    lam = np.where(dep["subj"] == 2, 0.8, np.where(dep["subj"] == 4, 0.03, 0.12))
    lam = lam * (0.6 if flags["weekend"] else 1.0) * (demand & live & ~opening) * (
        dep["activity"] > 0)
    cnt = rng.poisson(lam)
    acct = np.repeat(np.arange(n), cnt)
    m = acct.size
    # month start: salaries and farm inputs paid out, slightly more debits than credits
    # (below 0.5 overall: debits are capped at the balance, which alone lifts balances)
    p_credit = 0.45 if flags["month_start"] else 0.48
    is_cr = rng.random(m) < p_credit
    amt = (dep["activity"][acct] * np.exp(rng.normal(-0.5, 0.8, m))).astype(np.int64)
    amt = np.maximum(amt, 100)

    # --- 时点冲存: on the last days of a quarter (harder at year end) branches pull money
    # in to hit period-end targets; the pushed amount is remembered per account and
    # flows back out in the first days of the next quarter
    # (about +1.5 % of demand balances a day at year end, +0.7 % at quarter end)
    q_push = 0.06 if flags["year_push"] else 0.03 if flags["quarter_push"] else 0.0
    if q_push:
        pa = np.flatnonzero(demand & live & ~opening & (dep["activity"] > 0)
                            & (rng.random(n) < q_push))
        p_amt = (dep["activity"][pa] * rng.uniform(1, 5, pa.size)).astype(np.int64) + 100
        dep["pushed"][pa] += p_amt
        acct, amt = np.concatenate([acct, pa]), np.concatenate([amt, p_amt])
        is_cr = np.concatenate([is_cr, np.ones(pa.size, bool)])
    if flags["after_quarter"]:
        eb = np.flatnonzero((dep["pushed"] > 0) & live & (rng.random(n) < 0.35))
        e_amt = (dep["pushed"][eb] * rng.uniform(0.7, 1.0, eb.size)).astype(np.int64) + 1
        dep["pushed"][eb] = 0
        acct, amt = np.concatenate([acct, eb]), np.concatenate([amt, e_amt])
        is_cr = np.concatenate([is_cr, np.zeros(eb.size, bool)])
    elif not q_push and (dep["pushed"] > 0).any():
        dep["pushed"] = np.zeros(n, np.int64)  # what did not ebb by the 5th has stayed

    # --- openings (one credit) ------------------------------------------------------
    op = np.flatnonzero(opening)
    op_amt = lognormal_cents(rng, np.where(demand[op], 3_000, 50_000), 1.2, op.size)
    op_amt = np.where(demand[op], op_amt, (op_amt // 10_000 + 1) * 10_000)
    acct = np.concatenate([acct, op])
    amt = np.concatenate([amt, op_amt])
    is_cr = np.concatenate([is_cr, np.ones(op.size, bool)])

    # debits never take an account below zero at the end of the day (§4: balance ≥ 0)
    credits = np.bincount(acct, weights=np.where(is_cr, amt, 0), minlength=n).astype(np.int64)
    wanted = np.bincount(acct, weights=np.where(is_cr, 0, amt), minlength=n)
    avail = dep["bal"] + credits
    factor = np.where(wanted > avail, avail * 0.98 / np.maximum(wanted, 1), 1.0)
    amt = np.where(is_cr, amt, np.floor(amt * factor[acct])).astype(np.int64)
    keep = amt > 0
    acct, amt, is_cr = acct[keep], amt[keep], is_cr[keep]

    # --- closings: demand accounts emptied and closed; time deposits at maturity ----
    # 销户: ordinary closures, and the clean-up of dormant empty accounts (久悬户清理)
    p_close = np.where(dep["bal"] == 0, 0.01, 0.0002)
    close_demand = demand & live & ~opening & (rng.random(n) < p_close)
    matures = ~demand & live & (dep["mature"] == day)
    withdraw = matures & (rng.random(n) < 0.5)
    rollover = matures & ~withdraw  # 自动转存: same account, new maturity, no movement
    dep["mature"] = np.where(rollover, cal.add_months(np.full(n, day), dep["term"]),
                             dep["mature"])
    closing = close_demand | withdraw
    debits_so_far = np.bincount(acct, weights=np.where(is_cr, 0, amt), minlength=n).astype(
        np.int64)
    credits = np.bincount(acct, weights=np.where(is_cr, amt, 0), minlength=n).astype(np.int64)
    rest = dep["bal"] + credits - debits_so_far
    cl = np.flatnonzero(closing & (rest > 0))
    acct = np.concatenate([acct, cl])
    amt = np.concatenate([amt, rest[cl]])
    is_cr = np.concatenate([is_cr, np.zeros(cl.size, bool)])

    net = np.bincount(acct, weights=np.where(is_cr, amt, -amt), minlength=n)
    dep["bal"] = dep["bal"] + np.round(net).astype(np.int64)
    if (dep["bal"] < 0).any():  # would be a bug in the rules above
        raise AssertionError("a deposit balance went negative")
    dep["status"] = np.where(closing, 0, dep["status"]).astype(np.int8)
    frozen_toggle = live & ~closing & (rng.random(n) < 0.00005)
    dep["status"] = np.where(frozen_toggle, 2, dep["status"]).astype(np.int8)
    dep["opening"] = np.zeros(n, bool)

    # --- the DEP_TXN rows, in time order ---------------------------------------------
    k = acct.size
    secs = np.where(rng.random(k) < 0.85, rng.integers(8 * 3600, 18 * 3600, k),
                    rng.integers(0, 86400, k))
    order = np.lexsort((acct, secs))
    acct, amt, is_cr, secs = acct[order], amt[order], is_cr[order], secs[order]
    ch_p = [0.12, 0.40, 0.05, 0.08, 0.10, 0.25] if flags["weekend"] else [
        0.25, 0.35, 0.05, 0.10, 0.10, 0.15]
    channel = 1 + pick(rng, ch_p, k)
    channel = np.where(dep["subj"][acct] == 2, np.where(channel == 2, 3, channel), channel)
    ymd = int(d_ymd(day))
    ts = ymd * 1_000_000 + (secs // 3600) * 10_000 + (secs // 60 % 60) * 100 + secs % 60
    return Cols(seq=np.arange(1, k + 1), acct_id=dep["id"][acct], ts=ts.astype(np.int64),
                amt=amt, cr=is_cr, channel=channel.astype(np.int8))


def d_ymd(day: int) -> int:
    return int(cal.ymd(np.array([day]))[0])


def _loans(p: Province, rng: np.random.Generator, day: int, flags: dict[str, bool]) -> Cols:
    lo = p.loans
    # --- new disbursements: repeat borrowers, profiles like the book's ---------------
    # most rural loans run one to two years: about 0.2 % of the book is disbursed a day,
    # roughly what matures or is prepaid, so the book stays about level
    base = p.scale.loans * 0.0026 * (0.3 if flags["weekend"] else 1.0)
    n_new = int(rng.poisson(base))
    good = np.flatnonzero((lo["od"] == 0) & (lo["judg"] <= 1))
    if n_new and good.size:
        tpl = good[rng.integers(0, good.size, n_new)]
        cat = lo["cat"][tpl].astype(np.int64)
        amount = loan_amounts(rng, cat, 0.6)
        new = make_loans(p, rng, lo["cust"][tpl], cat, amount, np.full(n_new, day),
                         loan_terms(rng, cat))
        lo.append(new)
        _cover_with_limits(p, rng, new, day)
    n = len(lo)
    rep_prin = np.zeros(n, np.int64)
    rep_int = np.zeros(n, np.int64)
    rep_type = np.zeros(n, np.int8)
    was_overdue = lo["od"] > 0
    old = lo["disb"] < day

    # --- scheduled instalments: on the disbursement day of month (capped at the 28th) --
    dom = cal.day_of_month(np.array([day]))[0]
    month_end = cal.day_of_month(np.array([day + 1]))[0] == 1
    due_dom = cal.day_of_month(lo["disb"])
    # instalments fall on the disbursement day of month, or the month's last day if shorter
    on_day = (due_dom == dom) | (month_end & (due_dom > dom))
    due = old & (on_day | (lo["mature"] == day))
    inst = -(-lo["disb_amt"] // lo["term"])
    outstanding = lo["bal"] - lo["od_prin"]
    due_prin = np.where(lo["mature"] <= day, outstanding,
                        np.where(lo["mode"] == 1, np.minimum(inst, outstanding), 0))
    due_prin = np.where(due, due_prin, 0)
    due_int = np.where(due, lo["bal"] * lo["rate"] // 12_000_000, 0)
    pays = due & ~was_overdue & (rng.random(n) >= lo["risk"])
    misses = due & ~pays
    rep_prin += np.where(pays, due_prin, 0)
    rep_int += np.where(pays, due_int, 0)
    rep_type = np.where(pays & ((due_prin > 0) | (due_int > 0)), 1, rep_type)
    lo["od_prin"] = lo["od_prin"] + np.where(misses, due_prin, 0)
    lo["od_int"] = lo["od_int"] + np.where(misses, due_int, 0)

    # --- arrears age by a day; some borrowers clear them (逾期归还) --------------------
    od = lo["od"]
    od = np.where(was_overdue, od + 1, od)
    lo["od_int"] = lo["od_int"] + np.where(was_overdue, lo["bal"] * lo["rate"] // 365_000_000, 0)
    cure_p = np.select([od <= 30, od <= 90, od <= 360], [0.04, 0.015, 0.003], 0.001)
    cure = was_overdue & (rng.random(n) < cure_p)
    rep_prin += np.where(cure, lo["od_prin"], 0)
    rep_int += np.where(cure, lo["od_int"], 0)
    rep_type = np.where(cure, 3, rep_type)
    od = np.where(cure, 0, od)
    lo["od_prin"] = np.where(cure, 0, lo["od_prin"])
    lo["od_int"] = np.where(cure, 0, lo["od_int"])
    newly = misses & ~was_overdue & ((due_prin > 0) | (due_int > 0))
    od = np.where(newly, 1, od)
    # a missed instalment that is still owing (not cured today) keeps the loan overdue
    lo["od"] = np.where((od == 0) & (lo["od_prin"] + lo["od_int"] > 0), 1, od)

    # --- prepayments (提前还款) on current loans with nothing due today -----------------
    # (not on a loan that was in arrears this morning: its repayment today is the cure)
    pre = old & ~was_overdue & (lo["od"] == 0) & ~due & (rng.random(n) < 0.0008)
    full = pre & (rng.random(n) < 0.6)
    part = (lo["bal"] * rng.uniform(0.1, 0.5, n)).astype(np.int64)
    pre_prin = np.where(full, lo["bal"], np.where(pre, part, 0))
    rep_prin += pre_prin
    rep_type = np.where(pre & (pre_prin > 0), 2, rep_type)

    lo["bal"] = lo["bal"] - rep_prin
    if (lo["bal"] < 0).any():
        raise AssertionError("a loan balance went negative")
    lo["status"] = np.where(lo["bal"] == 0, 2, lo["status"]).astype(np.int8)  # 结清
    lo["od"] = np.where(lo["status"] == 2, 0, lo["od"])
    # write-off (核销) of long-lost loans; balance leaves the books with the status
    wo = (lo["status"] == 1) & (lo["od"] > 360) & (rng.random(n) < 0.003)
    lo["status"] = np.where(wo, 3, lo["status"]).astype(np.int8)
    # now and then a current loan is judged 关注 (e.g. the borrower's business weakens)
    lo["judg"] = np.where((lo["judg"] < 2) & (rng.random(n) < 0.0001), 2, lo["judg"]).astype(
        np.int8)

    rows = np.flatnonzero(rep_type > 0)
    return Cols(seq=np.arange(1, rows.size + 1), loan_id=lo["id"][rows], prin=rep_prin[rows],
                int=rep_int[rows], type=rep_type[rows])


def five_class(od: np.ndarray, judg: np.ndarray) -> np.ndarray:
    """2023 风险分类办法 floor from arrears: >90 days at least 次级, >270 at least 可疑,
    >360 损失; 1-90 days 关注. A judgment class can only make it worse."""
    floor = np.select([od > 360, od > 270, od > 90, od > 0], [5, 4, 3, 2], 1)
    return np.maximum(floor, judg).astype(np.int8)


def _cover_with_limits(p: Province, rng: np.random.Generator, new: Cols, day: int) -> None:
    """A loan draws on a valid limit; a borrower without one gets a new single limit."""
    lim = p.limits
    valid = limit_status(lim, day) == 1
    has = np.zeros(len(p.custs), bool)
    has[lim["cust"][valid]] = True
    need = ~has[new["cust"]]
    cust = np.unique(new["cust"][need])
    if not cust.size:
        return
    k = cust.size
    per = np.bincount(new["cust"], weights=new["disb_amt"], minlength=len(p.custs))[cust]
    amt = (np.ceil(per * rng.uniform(1.0, 1.5, k) / 1_000_000) * 1_000_000).astype(np.int64)
    lim.append(Cols(id=p.take_ids("limit", k), cust=cust, org=p.custs["outlet"][cust], amt=amt,
                    start=np.full(k, day), end=cal.add_months(np.full(k, day), 12),
                    type=np.ones(k, np.int8), revoked=np.zeros(k, bool)))


def limit_status(lim: Cols, day: int) -> np.ndarray:
    """1 有效 while the date is inside the term and the bank has not revoked it, else 0."""
    return ((lim["end"] >= day) & (lim["start"] <= day) & ~lim["revoked"]).astype(np.int8)


def _policies(p: Province, rng: np.random.Generator, day: int) -> None:
    po = p.pols
    n = len(po)
    st, nd = po["status"], po["next_due"]
    active = (st == 1) | (st == 4)
    regular = po["freq"] != 1
    # on the due date most holders pay (the premium is debited), the rest slip into grace
    due_today = active & regular & (nd == day) & (rng.random(n) < 0.95)
    grace_pay = (st == 2) & (rng.random(n) < 0.02)
    paid = due_today | grace_pay
    po["paid"] = po["paid"] + paid
    total = po["years"] * 12 // po["period"]
    has_due = nd != cal.NO_DATE
    nd = np.where(paid & has_due, cal.add_months(np.where(has_due, nd, day), po["period"]), nd)
    behind = paid & (nd < day)  # paying in grace settles every period in arrears
    while behind.any():
        nd = np.where(behind, cal.add_months(nd, po["period"]), nd)
        po["paid"] = po["paid"] + behind
        behind = paid & (nd < day)
    nd = np.where(paid & (po["paid"] >= total), cal.NO_DATE, nd)
    new_st = st.copy()
    sdate = po["status_date"].copy()
    reason = po["reason"].copy()
    new_st = np.where(grace_pay, 1, new_st)
    sdate = np.where(grace_pay, day, sdate)
    # an unpaid due date: 宽限期 from the next day
    into_grace = active & regular & (nd != cal.NO_DATE) & (nd < day) & ~paid
    new_st = np.where(into_grace, 2, new_st)
    sdate = np.where(into_grace, day, sdate)
    # more than 60 days in grace: 中止 (lapsed), with the reason the seller recorded
    lapse = (st == 2) & ~grace_pay & (day - nd > GRACE_DAYS)
    new_st = np.where(lapse, 3, new_st)
    sdate = np.where(lapse, day, sdate)
    reason = np.where(lapse, 1 + pick(rng, [0.35, 0.2, 0.2, 0.1, 0.1, 0.05], n), reason)
    # reinstatement (复效): arrears paid, next due a period after today
    reinstate = (st == 3) & (rng.random(n) < 0.002)
    new_st = np.where(reinstate, 4, new_st)
    sdate = np.where(reinstate, day, sdate)
    reason = np.where(reinstate, 0, reason)
    nd = np.where(reinstate, cal.add_months(np.full(n, day), po["period"]), nd)
    # surrender (退保) now and then
    surrender = (active | (st == 2)) & ~paid & ~into_grace & ~lapse & (rng.random(n) < 0.0002)
    new_st = np.where(surrender, 5, new_st)
    sdate = np.where(surrender, day, sdate)
    nd = np.where(surrender, cal.NO_DATE, nd)
    po["status"], po["status_date"], po["reason"], po["next_due"] = (
        new_st.astype(np.int8), sdate, reason.astype(np.int8), nd)


VISIT_TYPE_P = [0.15, 0.40, 0.30, 0.15]


def _visits(p: Province, rng: np.random.Generator, day: int, flags: dict[str, bool]) -> Cols:
    m, c = p.mgrs, p.custs
    active_m = np.flatnonzero(m["status"] == 1)
    lam = 0.7 if flags["weekend"] else 2.6  # 走访 mostly on working days
    k = int(rng.poisson(active_m.size * lam))
    vtype = 1 + pick(rng, VISIT_TYPE_P, k)
    cust = np.full(k, -1)
    mgr = active_m[rng.integers(0, max(active_m.size, 1), k)] if active_m.size else np.zeros(
        k, np.int64)
    pol = np.full(k, -1)
    # 产品营销 / 贷后检查 / some 走访建档: a customer on file, visited by their manager
    on_file = (vtype == 2) | (vtype == 3) | ((vtype == 1) & (rng.random(k) < 0.4))
    live_c = np.flatnonzero(c["status"] == 1)
    pick_c = live_c[rng.integers(0, live_c.size, k)]
    # 贷后检查 visits a borrower: the customer of a loan in balance
    lo = p.loans
    in_bal = np.flatnonzero(lo["status"] == 1)
    t3 = vtype == 3
    if in_bal.size:
        pick_c = np.where(t3, lo["cust"][in_bal[rng.integers(0, in_bal.size, k)]], pick_c)
    cm = c["mgr"][pick_c]
    ok = on_file & (cm >= 0) & (m["status"][np.maximum(cm, 0)] == 1)
    cust = np.where(ok, pick_c, -1)
    mgr = np.where(ok, cm, mgr)
    vtype = np.where(on_file & ~ok, 1, vtype)  # manager gone: a new-prospect visit instead
    # 保单续期跟进: a policy in grace or lapsed, by its seller if still in post
    at_risk = np.flatnonzero((p.pols["status"] == 2) | (p.pols["status"] == 3))
    t4 = np.flatnonzero(vtype == 4)
    if at_risk.size:
        pol[t4] = at_risk[rng.integers(0, at_risk.size, t4.size)]
        seller = p.pols["seller"][pol[t4]]
        mgr[t4] = np.where(m["status"][seller] == 1, seller, mgr[t4])
        cust[t4] = p.pols["cust"][pol[t4]]
    else:
        vtype[t4] = 2
        cust[t4] = -1
    grid = np.where(cust >= 0, c["grid"][np.maximum(cust, 0)], -1)
    fallback = p.grid_first[p.home_outlet[m["org"][mgr]]]
    grid = np.where(grid >= 0, grid, fallback + rng.integers(0, p.scale.grids_per_outlet, k))
    g = p.grids
    # GPS fix within a few hundred metres of the grid centre
    lon = g["lon"][grid] + np.round(rng.normal(0, 4000, k)).astype(np.int64)
    lat = g["lat"][grid] + np.round(rng.normal(0, 4000, k)).astype(np.int64)
    secs = rng.integers(8 * 3600, 19 * 3600, k)
    ymd = d_ymd(day)
    ts = ymd * 1_000_000 + (secs // 3600) * 10_000 + (secs // 60 % 60) * 100 + secs % 60
    u = rng.random(k)
    outcome = np.select(
        [vtype == 1, vtype == 2, vtype == 3],
        [np.where(u < 0.5, 1, 2), 1 + pick(rng, [0.35, 0.4, 0.15, 0.10], k),
         np.where(u < 0.7, 4, 1)], np.where(u < 0.5, 1, 2))
    sat = np.where(rng.random(k) < 0.7, 1 + pick(rng, [0.03, 0.05, 0.12, 0.30, 0.50], k), 0)
    order = np.argsort(ts, kind="stable")
    cols = dict(mgr=mgr, cust=cust, grid=grid, ts=ts, lon=lon, lat=lat, type=vtype,
                outcome=outcome, sat=sat, photos=rng.integers(0, 7, k), pol=pol,
                note=rng.integers(0, 100, k))
    return Cols(seq=np.arange(1, k + 1), **{kk: np.asarray(v)[order] for kk, v in cols.items()})


__all__ = ["step", "five_class", "draw_member"]
