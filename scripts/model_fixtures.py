"""Reference fixtures for the buy-till-you-die models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB,
Gamma-Gamma): lifetimes 0.11.3 next to mpmath evaluations of the closed forms of
shared/FORMULAS.md sections 2.1-2.6.

Regenerate (from the crate root, /work/main):

    python3 -m venv .venv
    .venv/bin/pip install lifetimes==0.11.3 mpmath==1.4.1 numpy==2.4.6 scipy==1.17.1 \\
        pandas==3.1.1 autograd==1.9.1 dill==0.4.1 python-dateutil==2.9.0.post0 tzdata==2025.2
    .venv/bin/python scripts/model_fixtures.py

(Python 3.11. lifetimes 0.11.3 works unchanged with these current numpy/pandas/scipy/autograd
releases; no older pins were needed. The versions actually used are written to every file's
"versions" field: that field, not this docstring, is authoritative.) Deterministic: a fixed
numpy seed (SEED) draws every random point, and the Pareto/NBD fit's random start is seeded too.
Runtime a few minutes.

Files written (all under tests/data/):

* model_lifetimes.json: "normal" cases. For each of the five models, random points at three
  parameter sets (the published MLE of REFERENCES.md, and two random sets with every parameter
  log-uniform in [0.05, 20]), plus the REFERENCES.md points. Each case holds the inputs, the
  values lifetimes returns ("lifetimes") and the mpmath values ("mpmath", 50 digits, rounded to
  double at the end). A quantity that lifetimes returns as NaN, +-inf, a probability outside
  [0, 1] or a negative expectation (or that raises) is null in "lifetimes" and described in
  the case's "lifetimes_failures" string.
* model_mpmath_extreme.json: same format, numerically hard inputs (x up to 1e5, T and t up to
  1e4, parameters 1e-3 .. 1e3, alpha/beta = 1e+-6, t_x = 0 with x > 0, t_x = T, a = 1 exactly
  for BG/NBD and MBG/NBD, s = 1 exactly for Pareto/NBD, BG/BB with up to 1000 opportunities).
  Every mpmath value here was computed by two independent methods (closed form vs. integral /
  direct sum, or at two working precisions) that agree to REL_TOL_EXTREME; values that did not
  are not stored (see that file's "notes" and "dropped").
* model_fits_lifetimes.json: lifetimes' maximum-likelihood fits on CDNOW (BG/NBD, MBG/NBD,
  Pareto/NBD; Gamma-Gamma on the customers with x >= 1) and on the donations data (BG/BB,
  weighted), with the parameters, the total log-likelihood recomputed with mpmath at the fitted
  parameters, what lifetimes itself reports, and the wall-clock fit time.

Conventions (the Rust tests read these): x = frequency, t_x = recency, T = age, t = horizon;
params bg_nbd / mbg_nbd [r, alpha, a, b], pareto_nbd [r, alpha, s, beta], gamma_gamma [p, q, v],
bg_bb [alpha, beta, gamma, delta]. For bg_bb, "T" is the number n of transaction opportunities
of FORMULAS.md 2.4, "t" the number n* of future opportunities, "n" the count of the pmf and "m"
the look-ahead of lifetimes' P(alive at n + m).
"""

import importlib.metadata as md
import json
import math
import pathlib
import platform
import sys
import time
import warnings

import mpmath as mp
import numpy as np
import pandas as pd

warnings.simplefilter("ignore")

from lifetimes import (  # noqa: E402
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)

SEED = 20260517
DPS = 50
REL_TOL_NORMAL = mp.mpf("1e-25")  # agreement required between the two mpmath methods (normal cases)
REL_TOL_EXTREME = mp.mpf("1e-14")  # same, extreme cases
ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT_NORMAL = DATA / "model_lifetimes.json"
OUT_EXTREME = DATA / "model_mpmath_extreme.json"
OUT_FITS = DATA / "model_fits_lifetimes.json"

mp.mp.dps = DPS
M = mp.mpf


class NotConverged(Exception):
    pass


def rel_diff(a, b):
    a, b = M(a), M(b)
    if a == b:
        return M(0)
    return abs(a - b) / max(abs(a), abs(b))


def agree(name, a, b, tol):
    d = rel_diff(a, b)
    if not d <= tol:
        raise NotConverged("%s: methods differ by %s (%s vs %s)" % (name, mp.nstr(d, 3), mp.nstr(a, 20), mp.nstr(b, 20)))
    return d


def geometric_points(lo, hi, anchors, per_decade=1):
    """Split points for mp.quad on [lo, hi]: lo, hi, every anchor inside, and a geometric ladder
    lo + h * 10^(k/per_decade) for each anchor scale h, so that each subinterval holds at most
    one decade of variation of the integrand."""
    lo, hi = M(lo), M(hi)
    pts = {lo, hi}
    span = hi - lo
    for h in anchors:
        h = M(h)
        if not (h > 0):
            continue
        k = 0
        while True:
            p = lo + h * mp.power(10, M(k) / per_decade)
            if p >= hi:
                break
            if p > lo:
                pts.add(p)
            k += 1
            if k > 400:
                break
        # also below the scale
        for j in range(1, 6):
            p = lo + h * mp.power(10, -M(j))
            if lo < p < hi:
                pts.add(p)
    pts = sorted(pts)
    # drop points closer than 1e-30 relative to span
    out = [pts[0]]
    for p in pts[1:]:
        if p - out[-1] > span * M("1e-40"):
            out.append(p)
    return out


def quad(f, pts, method="tanh-sinh"):
    return mp.quad(f, pts, method=method)


# ---------------------------------------------------------------------------------------------
# Shared BG/NBD-family piece: G(a, b', k, beta0, t) = E_{p ~ Beta(a, b')}[(1/p)(1 - (beta0/(beta0 + p t))^k)]
# (the expected number of purchases in (0, t] of an alive customer with posterior
# lambda ~ Gamma(k, beta0), p ~ Beta(a, b'); FORMULAS.md 2.1 "2F1-free form").
# ---------------------------------------------------------------------------------------------


def G_closed(a, bp, k, beta0, t):
    """(a+b'-1)/(a-1) * [1 - (beta0/(beta0+t))^k 2F1(k, b'; a+b'-1; t/(beta0+t))]   (paper Eq. 9/10)."""
    a, bp, k, beta0, t = map(M, (a, bp, k, beta0, t))
    if a == 1:
        # limit: the function is analytic in a, so the symmetric average is O(eps^2) accurate.
        with mp.workdps(mp.mp.dps + 70):
            eps = M("1e-35")
            return (G_closed(a + eps, bp, k, beta0, t) + G_closed(a - eps, bp, k, beta0, t)) / 2
    z = t / (beta0 + t)
    h = mp.hyp2f1(k, bp, a + bp - 1, z, maxterms=10**6)
    return (a + bp - 1) / (a - 1) * (1 - mp.power(beta0 / (beta0 + t), k) * h)


def G_pfaff(a, bp, k, beta0, t):
    """Pfaff-transformed: (a+b'-1)/(a-1) * [1 - 2F1(k, a-1; a+b'-1; -t/beta0)]."""
    a, bp, k, beta0, t = map(M, (a, bp, k, beta0, t))
    if a == 1:
        with mp.workdps(mp.mp.dps + 70):
            eps = M("1e-35")
            return (G_pfaff(a + eps, bp, k, beta0, t) + G_pfaff(a - eps, bp, k, beta0, t)) / 2
    h = mp.hyp2f1(k, a - 1, a + bp - 1, -t / beta0, maxterms=10**6)
    return (a + bp - 1) / (a - 1) * (1 - h)


def beta_anchor_points(a, bp):
    """Scale points of a Beta(a, b') density on (0, 1)."""
    a, bp = M(a), M(bp)
    mean = a / (a + bp)
    sd = mp.sqrt(a * bp / ((a + bp) ** 2 * (a + bp + 1)))
    pts = [mean]
    for c in (1, 3, 10, 30):
        for q in (mean - c * sd, mean + c * sd):
            if 0 < q < 1:
                pts.append(q)
    return pts


def G_quad(a, bp, k, beta0, t):
    """Direct quadrature over p of the posterior mixing integral (works for a = 1 too)."""
    a, bp, k, beta0, t = map(M, (a, bp, k, beta0, t))
    lnB = mp.log(mp.beta(a, bp))
    c = t / beta0

    def f(p):
        if p <= 0 or p >= 1:
            return M(0)
        g = -mp.expm1(-k * mp.log1p(p * c)) / p
        return g * mp.exp((a - 1) * mp.log(p) + (bp - 1) * mp.log1p(-p) - lnB)

    anchors = beta_anchor_points(a, bp) + [1 / (k * c), 1 / c]
    pts = {M(0), M(1)}
    for q in anchors:
        if 0 < q < 1:
            pts.add(q)
    # geometric ladder towards 0 (p^(a-1) singularity and the 1/(k c) scale)
    lo = min([q for q in pts if q > 0] + [M(1)])
    q = lo
    for _ in range(60):
        q = q / 10
        pts.add(q)
        if q < M("1e-60"):
            break
    pts = sorted(pts)
    # ladder between consecutive points wider than a decade
    full = [pts[0]]
    for p0, p1 in zip(pts[:-1], pts[1:]):
        if p0 > 0:
            x = p0 * 10
            while x < p1:
                full.append(x)
                x *= 10
        full.append(p1)
    full = sorted(set(full))
    return quad(f, full)


def G_value(a, bp, k, beta0, t, tol, force_quad=False):
    """Two methods (closed form via hyp2f1 / Pfaff form, and quadrature); raise if they disagree."""
    q = G_quad(a, bp, k, beta0, t)
    if M(a) == 1 or force_quad:
        c = G_pfaff(a, bp, k, beta0, t)
    else:
        c = G_closed(a, bp, k, beta0, t)
    agree("G(a=%s,b'=%s,k=%s,beta0=%s,t=%s)" % tuple(mp.nstr(M(v), 6) for v in (a, bp, k, beta0, t)), c, q, tol)
    return c if M(a) != 1 else q


def G_dert(a, bp, k, beta0, delta, tol):
    """delta * int_0^inf e^{-delta t} G(a, b', k, beta0, t) dt  (continuous discounting), two ways:
    (1) p-integral: E_p[ E_lambda[lambda / (delta + lambda p)] ], with
        E_{lambda~Gamma(k, beta0)}[lambda/(delta+lambda p)] = (k/(beta0 delta)) z e^z E_{k+1}(z), z = beta0 delta / p;
    (2) t-integral of the closed form G (hyp2f1) against delta e^{-delta t}."""
    a, bp, k, beta0, delta = map(M, (a, bp, k, beta0, delta))
    lnB = mp.log(mp.beta(a, bp))

    def inner(p):
        z = beta0 * delta / p
        # z e^z E_{k+1}(z) in (0, 1): for large z use the continued fraction built into expint
        return z * mp.exp(z) * mp.expint(k + 1, z)

    def f(p):
        if p <= 0 or p >= 1:
            return M(0)
        return inner(p) * mp.exp((a - 1) * mp.log(p) + (bp - 1) * mp.log1p(-p) - lnB)

    anchors = beta_anchor_points(a, bp) + [beta0 * delta / k, beta0 * delta]
    pts = {M(0), M(1)}
    for q in anchors:
        if 0 < q < 1:
            pts.add(q)
    lo = min([q for q in pts if q > 0] + [M(1)])
    q = lo
    for _ in range(60):
        q = q / 10
        pts.add(q)
        if q < M("1e-60"):
            break
    pts = sorted(pts)
    full = [pts[0]]
    for p0, p1 in zip(pts[:-1], pts[1:]):
        if p0 > 0:
            x = p0 * 10
            while x < p1:
                full.append(x)
                x *= 10
        full.append(p1)
    full = sorted(set(full))
    v1 = (k / (beta0 * delta)) * quad(f, full)

    Gf = (lambda t: G_pfaff(a, bp, k, beta0, t)) if a == 1 else (lambda t: G_closed(a, bp, k, beta0, t))
    tpts = [M(0)]
    scales = sorted({beta0 / k, beta0, 1 / delta})
    x = min(scales) / 1000
    top = 200 / delta
    while x < top:
        tpts.append(x)
        x *= 10
    tpts += [M(s) for s in scales if s < top]
    tpts += [top, mp.inf]
    tpts = sorted(set(tpts))
    v2 = quad(lambda t: delta * mp.exp(-delta * t) * Gf(t), tpts)
    agree("DERT(a=%s,b'=%s,k=%s,beta0=%s,delta=%s)" % tuple(mp.nstr(M(v), 6) for v in (a, bp, k, beta0, delta)), v1, v2, tol)
    return v1


def nb_pmf(r, alpha, t, n):
    """Gamma-Poisson (NBD) P(N(t) = n) = Gamma(r+n)/(Gamma(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n."""
    r, alpha, t = M(r), M(alpha), M(t)
    return mp.exp(mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1) + r * mp.log(alpha / (alpha + t)) + n * mp.log(t / (alpha + t)))


def nb_tail(r, alpha, t, n, tol):
    """P(N(t) >= n) two ways: 1 - finite sum (FORMULAS Eq. 8), and the regularized incomplete beta I_{t/(alpha+t)}(n, r)."""
    r, alpha, t = M(r), M(alpha), M(t)
    if n == 0:
        return M(1)
    z = t / (alpha + t)
    v1 = mp.betainc(n, r, 0, z, regularized=True)
    with mp.workdps(mp.mp.dps + 40):
        s = mp.fsum(nb_pmf(r, alpha, t, j) for j in range(n))
        v2 = 1 - s
    agree("nb_tail", v1, v2, tol)
    return v1


# ---------------------------------------------------------------------------------------------
# BG/NBD and MBG/NBD
# ---------------------------------------------------------------------------------------------


def bgnbd_ll(r, alpha, a, b, x, tx, T, tol):
    r, alpha, a, b, tx, T = map(M, (r, alpha, a, b, tx, T))
    # note 027 solution #2
    D1 = mp.loggamma(r + x) - mp.loggamma(r) + mp.loggamma(a + b) + mp.loggamma(b + x) - mp.loggamma(b) - mp.loggamma(a + b + x)
    D2 = r * mp.log(alpha) - (r + x) * mp.log(alpha + tx)
    C3 = mp.power((alpha + tx) / (alpha + T), r + x)
    C4 = a / (b + x - 1) if x > 0 else M(0)
    v1 = D1 + D2 + mp.log(C3 + C4)
    # paper Eq. 6 directly
    with mp.workdps(mp.mp.dps + 20):
        A = mp.exp(mp.log(mp.beta(a, b + x)) - mp.log(mp.beta(a, b)) + mp.loggamma(r + x) + r * mp.log(alpha) - mp.loggamma(r) - (r + x) * mp.log(alpha + T))
        if x > 0:
            A += mp.exp(mp.log(mp.beta(a + 1, b + x - 1)) - mp.log(mp.beta(a, b)) + mp.loggamma(r + x) + r * mp.log(alpha) - mp.loggamma(r) - (r + x) * mp.log(alpha + tx))
        v2 = mp.log(A)
    agree("bgnbd_ll", v1, v2, tol)
    return v1


def bgnbd_palive(r, alpha, a, b, x, tx, T):
    r, alpha, a, b, tx, T = map(M, (r, alpha, a, b, tx, T))
    if x == 0:
        return M(1)
    return 1 / (1 + a / (b + x - 1) * mp.power((alpha + T) / (alpha + tx), r + x))


def bgnbd_pmf(r, alpha, a, b, t, n, tol):
    r, alpha, a, b, t = map(M, (r, alpha, a, b, t))
    lB = mp.log(mp.beta(a, b))
    v = mp.exp(mp.log(mp.beta(a, b + n)) - lB) * nb_pmf(r, alpha, t, n)
    if n > 0:
        v += mp.exp(mp.log(mp.beta(a + 1, b + n - 1)) - lB) * nb_tail(r, alpha, t, n, tol)
    return v


def mbgnbd_ll(r, alpha, a, b, x, tx, T, tol):
    r, alpha, a, b, tx, T = map(M, (r, alpha, a, b, tx, T))
    v1 = (mp.log(mp.beta(a, b + x + 1)) - mp.log(mp.beta(a, b)) + mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha)
          - (r + x) * mp.log(alpha + T) + mp.log(1 + a / (b + x) * mp.power((alpha + T) / (alpha + tx), r + x)))
    with mp.workdps(mp.mp.dps + 20):
        base = mp.loggamma(r + x) + r * mp.log(alpha) - mp.loggamma(r) - mp.log(mp.beta(a, b))
        A = mp.exp(mp.log(mp.beta(a, b + x + 1)) + base - (r + x) * mp.log(alpha + T))
        A += mp.exp(mp.log(mp.beta(a + 1, b + x)) + base - (r + x) * mp.log(alpha + tx))
        v2 = mp.log(A)
    agree("mbgnbd_ll", v1, v2, tol)
    return v1


def mbgnbd_palive(r, alpha, a, b, x, tx, T):
    r, alpha, a, b, tx, T = map(M, (r, alpha, a, b, tx, T))
    return 1 / (1 + a / (b + x) * mp.power((alpha + T) / (alpha + tx), r + x))


def mbgnbd_pmf(r, alpha, a, b, t, n, tol):
    """P(X(t) = n) for MBG/NBD: alive after n+1 coin flips with N(t) = n, or dropped at flip n+1
    (flips at time 0 and after each purchase) with N(t) >= n (lifetimes' formula)."""
    r, alpha, a, b, t = map(M, (r, alpha, a, b, t))
    lB = mp.log(mp.beta(a, b))
    v = mp.exp(mp.log(mp.beta(a, b + n + 1)) - lB) * nb_pmf(r, alpha, t, n)
    v += mp.exp(mp.log(mp.beta(a + 1, b + n)) - lB) * nb_tail(r, alpha, t, n, tol)
    return v


def bg_family(model, params, x, tx, T, t, n, delta, tol, want_dert=True):
    r, alpha, a, b = map(M, params)
    out = {}
    if model == "bg_nbd":
        pa = bgnbd_palive(r, alpha, a, b, x, tx, T)
        bpost = b + x
        bnew, wnew = b, M(1)
        out["log_likelihood"] = bgnbd_ll(r, alpha, a, b, x, tx, T, tol)
    else:
        pa = mbgnbd_palive(r, alpha, a, b, x, tx, T)
        bpost = b + x + 1
        bnew, wnew = b + 1, b / (a + b)
        out["log_likelihood"] = mbgnbd_ll(r, alpha, a, b, x, tx, T, tol)
    out["p_alive"] = pa
    out["conditional_expected"] = pa * G_value(a, bpost, r + x, alpha + M(T), t, tol)
    out["expected"] = wnew * G_value(a, bnew, r, alpha, t, tol)
    if n is not None:
        if model == "bg_nbd":
            out["pmf"] = bgnbd_pmf(r, alpha, a, b, t, n, tol)
        else:
            out["pmf"] = mbgnbd_pmf(r, alpha, a, b, t, n, tol)
    if want_dert and delta is not None:
        out["dert"] = pa * G_dert(a, bpost, r + x, alpha + M(T), delta, tol)
    return out


# ---------------------------------------------------------------------------------------------
# Pareto/NBD
# ---------------------------------------------------------------------------------------------


def pareto_integral(r, alpha, s, beta, x, tx, T):
    """int_{t_x}^{T} (alpha+tau)^{-(r+x)} (beta+tau)^{-(s+1)} dtau  (FORMULAS 2.3, 2F1-free form)."""
    r, alpha, s, beta, tx, T = map(M, (r, alpha, s, beta, tx, T))
    if tx == T:
        return M(0)
    f = lambda tau: mp.power(alpha + tau, -(r + x)) * mp.power(beta + tau, -(s + 1))  # noqa: E731
    anchors = [(alpha + tx) / (r + x + s + 1), (beta + tx) / (r + x + s + 1), alpha + tx, beta + tx]
    pts = geometric_points(tx, T, anchors)
    return quad(f, pts)


def pareto_A0_term(r, alpha, s, beta, x, tx, T):
    """[s/(r+s+x)] * A0 via the hyp2f1 case split of FORMULAS 2.3."""
    r, alpha, s, beta, tx, T = map(M, (r, alpha, s, beta, tx, T))
    a_ = r + s + x
    if alpha == beta:
        A0 = mp.power(alpha + tx, -a_) - mp.power(alpha + T, -a_)
    elif alpha > beta:
        F = lambda y: mp.hyp2f1(a_, s + 1, a_ + 1, (alpha - beta) / (alpha + y), maxterms=10**7) / mp.power(alpha + y, a_)  # noqa: E731
        A0 = F(tx) - F(T)
    else:
        F = lambda y: mp.hyp2f1(a_, r + x, a_ + 1, (beta - alpha) / (beta + y), maxterms=10**7) / mp.power(beta + y, a_)  # noqa: E731
        A0 = F(tx) - F(T)
    return s / a_ * A0


def pareto_core(r, alpha, s, beta, x, tx, T, tol, check_hyp=True):
    """Returns (log-likelihood, P(alive)) from the integral form, cross-checked against hyp2f1."""
    r, alpha, s, beta, tx, T = map(M, (r, alpha, s, beta, tx, T))
    term1 = mp.power(alpha + T, -(r + x)) * mp.power(beta + T, -s)
    I = s * pareto_integral(r, alpha, s, beta, x, tx, T)
    if check_hyp:
        with mp.workdps(mp.mp.dps + 60):  # the hyp2f1 difference can cancel when t_x ~ T
            I2 = pareto_A0_term(r, alpha, s, beta, x, tx, T)
        agree("pareto A0 integral vs hyp2f1", I, I2, tol) if I != 0 else None
    pref = mp.loggamma(r + x) + r * mp.log(alpha) + s * mp.log(beta) - mp.loggamma(r)
    ll = pref + mp.log(term1 + I)
    pa = term1 / (term1 + I)
    return ll, pa


def one_minus_ratio_pow_over(sm1, u):
    """(1 - u^{-(s-1)})/(s-1) for u >= 1, with the s = 1 limit ln u."""
    sm1, u = M(sm1), M(u)
    lu = mp.log(u)
    if sm1 == 0:
        return lu
    return -mp.expm1(-sm1 * lu) / sm1


def pareto_expected(r, alpha, s, beta, t):
    r, alpha, s, beta, t = map(M, (r, alpha, s, beta, t))
    return r * beta / alpha * one_minus_ratio_pow_over(s - 1, (beta + t) / beta)


def pareto_cond_expected(r, alpha, s, beta, x, tx, T, t, pa):
    r, alpha, s, beta, T, t = map(M, (r, alpha, s, beta, T, t))
    return pa * (r + x) * (beta + T) / (alpha + T) * one_minus_ratio_pow_over(s - 1, (beta + T + t) / (beta + T))


def pareto_dert(r, alpha, s, beta, x, T, delta, pa, tol):
    r, alpha, s, beta, T, delta = map(M, (r, alpha, s, beta, T, delta))
    B = beta + T
    z = delta * B
    J1 = B * mp.exp(z) * mp.expint(s, z)  # = B^s delta^{s-1} U(s, s, z)
    J2 = B * mp.hyperu(1, 2 - s, z)
    g = lambda t: mp.exp(-delta * t) * mp.power(B / (B + t), s)  # noqa: E731
    pts = [M(0)]
    for h in sorted({1 / delta, B / s if s > 0 else B, B}):
        pts.append(h)
    pts = sorted(set(pts)) + [200 / delta + 10 * B, mp.inf]
    J3 = quad(g, sorted(set(pts)))
    agree("pareto dert expint vs quad", J1, J3, tol)
    agree("pareto dert expint vs hyperu", J1, J2, tol)
    return pa * (r + x) / (alpha + T) * J1


def pareto_pmf(r, alpha, s, beta, t, n, tol):
    """P(X(t) = n) = NB(n; t) (beta/(beta+t))^s + s beta^s int_0^t NB(n; tau) (beta+tau)^{-(s+1)} dtau
    (derived: lifetime omega ~ Exp(mu) mixed over mu ~ Gamma(s, beta); NB is the gamma-Poisson pmf)."""
    r, alpha, s, beta, t = map(M, (r, alpha, s, beta, t))
    head = nb_pmf(r, alpha, t, n) * mp.power(beta / (beta + t), s)
    f = lambda tau: nb_pmf(r, alpha, tau, n) * mp.power(beta + tau, -(s + 1)) if tau > 0 else (M(1) if n == 0 else M(0)) * mp.power(beta, -(s + 1))  # noqa: E731
    anchors = [alpha / (n + r + 1), alpha, beta, alpha * (n + 1) / max(r, M("1e-3"))]
    pts = geometric_points(0, t, anchors)
    I1 = quad(f, pts)
    I2 = quad(f, pts, method="gauss-legendre")
    agree("pareto pmf tanh-sinh vs gauss-legendre", I1, I2, tol)
    return head + s * mp.power(beta, s) * I1


def pareto_all(params, x, tx, T, t, n, delta, tol):
    r, alpha, s, beta = map(M, params)
    ll, pa = pareto_core(r, alpha, s, beta, x, tx, T, tol)
    out = {"p_alive": pa, "log_likelihood": ll}
    out["conditional_expected"] = pareto_cond_expected(r, alpha, s, beta, x, tx, T, t, pa)
    out["expected"] = pareto_expected(r, alpha, s, beta, t)
    if n is not None:
        out["pmf"] = pareto_pmf(r, alpha, s, beta, t, n, tol)
    if delta is not None:
        out["dert"] = pareto_dert(r, alpha, s, beta, x, T, delta, pa, tol)
    return out


# ---------------------------------------------------------------------------------------------
# BG/BB (integer x, t_x, n = "T"; horizon n* = "t")
# ---------------------------------------------------------------------------------------------


def lnB(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def bgbb_L(al, be, ga, de, x, tx, n, tol):
    al, be, ga, de = map(M, (al, be, ga, de))
    base = -lnB(al, be) - lnB(ga, de)
    L1 = mp.exp(lnB(al + x, be + n - x) + lnB(ga, de + n) + base)
    terms = [mp.exp(lnB(al + x, be + tx - x + i) + lnB(ga + 1, de + tx + i) + base) for i in range(n - tx)]
    v1 = L1 + mp.fsum(terms)
    # second method: the same sum by the beta recursions B(a, b+1) = B(a, b) b/(a+b)
    with mp.workdps(mp.mp.dps + 20):
        v2 = L1
        if n - tx > 0:
            term = mp.exp(lnB(al + x, be + tx - x) + lnB(ga + 1, de + tx) + base)
            for i in range(n - tx):
                v2 += term
                b1 = be + tx - x + i
                b2 = de + tx + i
                term = term * b1 / (al + x + b1) * b2 / (ga + 1 + b2)
    agree("bgbb L", v1, v2, tol)
    return v1


def bgbb_palive_at(al, be, ga, de, x, n, m, L):
    al, be, ga, de = map(M, (al, be, ga, de))
    return mp.exp(lnB(al + x, be + n - x) - lnB(al, be) + lnB(ga, de + n + m) - lnB(ga, de)) / L


def bgbb_cond_expected(al, be, ga, de, x, n, t, L, tol):
    al, be, ga, de = map(M, (al, be, ga, de))
    pre = mp.exp(lnB(al + x + 1, be + n - x) - lnB(al, be)) / L
    v1 = pre * de / (ga - 1) * mp.exp(mp.loggamma(ga + de) - mp.loggamma(1 + de)) * (
        mp.exp(mp.loggamma(1 + de + n) - mp.loggamma(ga + de + n)) - mp.exp(mp.loggamma(1 + de + n + t) - mp.loggamma(ga + de + n + t))
    ) if ga != 1 else None
    # direct: sum_{k=1}^{t} P(alive at n+k) E[p]
    with mp.workdps(mp.mp.dps + 20):
        term = mp.exp(lnB(ga, de + n + 1) - lnB(ga, de))
        acc = M(0)
        for k in range(1, t + 1):
            acc += term
            term = term * (de + n + k) / (ga + de + n + k)
        v2 = pre * acc
    if v1 is None:
        return v2
    agree("bgbb cond expected", v1, v2, tol)
    return v1


def bgbb_pmf(al, be, ga, de, t, n):
    al, be, ga, de = map(M, (al, be, ga, de))
    base = -lnB(al, be) - lnB(ga, de)
    if n > t:
        return M(0)
    v = mp.exp(mp.log(mp.binomial(t, n)) + lnB(al + n, be + t - n) + lnB(ga, de + t) + base)
    v += mp.fsum(mp.exp(mp.log(mp.binomial(i, n)) + lnB(al + n, be + i - n) + lnB(ga + 1, de + i) + base) for i in range(n, t))
    return v


def bgbb_expected(al, be, ga, de, t, tol, check=True):
    al, be, ga, de = map(M, (al, be, ga, de))
    if ga == 1:
        v1 = None
    else:
        v1 = al / (al + be) * de / (ga - 1) * (1 - mp.exp(mp.loggamma(ga + de) + mp.loggamma(1 + de + t) - mp.loggamma(ga + de + t) - mp.loggamma(1 + de)))
    if check or v1 is None:
        # E[X(t)] = E[p] * sum_{k=1}^{t} P(alive at k)
        term = mp.exp(lnB(ga, de + 1) - lnB(ga, de))
        acc = M(0)
        for k in range(1, t + 1):
            acc += term
            term = term * (de + k) / (ga + de + k)
        v2 = al / (al + be) * acc
        if v1 is None:
            return v2
        agree("bgbb expected", v1, v2, tol)
    return v1


def bgbb_dert(al, be, ga, de, x, n, d, L, tol):
    al, be, ga, de, d = map(M, (al, be, ga, de, d))
    pre = mp.exp(lnB(al + x + 1, be + n - x) - lnB(al, be)) / L
    v1 = pre * mp.exp(lnB(ga, de + n + 1) - lnB(ga, de)) / (1 + d) * mp.hyp2f1(1, de + n + 1, ga + de + n + 1, 1 / (1 + d), maxterms=10**7)
    # direct sum with the recursion, until the terms are negligible
    term = mp.exp(lnB(ga, de + n + 1) - lnB(ga, de)) / (1 + d)
    acc = M(0)
    k = 1
    while True:
        acc += term
        term = term * (de + n + k) / (ga + de + n + k) / (1 + d)
        k += 1
        if term < acc * mp.mpf(10) ** (-(mp.mp.dps + 5)):
            break
        if k > 10**7:
            raise NotConverged("bgbb dert sum")
    v2 = pre * acc
    agree("bgbb dert", v1, v2, tol)
    return v1


def bgbb_all(params, x, tx, n, t, m, k, d, tol):
    al, be, ga, de = map(M, params)
    L = bgbb_L(al, be, ga, de, x, tx, n, tol)
    out = {"log_likelihood": mp.log(L)}
    out["p_alive"] = bgbb_palive_at(al, be, ga, de, x, n, 1, L)
    out["p_alive_at_n_plus_m"] = bgbb_palive_at(al, be, ga, de, x, n, m, L)
    out["conditional_expected"] = bgbb_cond_expected(al, be, ga, de, x, n, t, L, tol)
    out["expected"] = bgbb_expected(al, be, ga, de, t, tol)
    if k is not None:
        out["pmf"] = bgbb_pmf(al, be, ga, de, t, k)
    if d is not None:
        out["dert"] = bgbb_dert(al, be, ga, de, x, n, d, L, tol)
    return out


# ---------------------------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------------------------


def gg_all(params, x, mx):
    p, q, v = map(M, params)
    mx = M(mx)
    out = {"expected_spend": (v + mx * x) * p / (p * x + q - 1)}
    if x >= 1 and mx > 0:
        out["log_likelihood"] = (mp.loggamma(p * x + q) - mp.loggamma(p * x) - mp.loggamma(q) + q * mp.log(v)
                                 + (p * x - 1) * mp.log(mx) + p * x * mp.log(x) - (p * x + q) * mp.log(v + mx * x))
    return out
