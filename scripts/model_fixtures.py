"""Reference fixtures for the buy-till-you-die models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB,
Gamma-Gamma): lifetimes 0.11.3 next to mpmath evaluations of the closed forms of
shared/FORMULAS.md sections 2.1-2.6.

Regenerate (from the crate root, /work/main; Python 3.11):

    python3 -m venv .venv
    .venv/bin/pip install lifetimes==0.11.3 mpmath==1.4.1 numpy==2.4.6 scipy==1.17.1 pandas==3.1.1 \
        autograd==1.9.1 dill==0.4.1 python-dateutil==4.0.0 tzdata==2026.6
    .venv/bin/python scripts/model_fixtures.py

lifetimes 0.11.3 works unchanged with these current numpy/pandas/scipy/autograd releases; no
older pins were needed. The versions actually used are also written to every file's "versions"
field. Deterministic: a fixed numpy seed (SEED) draws every random point and the Pareto/NBD fit's
random start is seeded too; only "fit_seconds" changes between runs. Runs the cases in two
processes; about 3 minutes on an idle 2-core machine (8 minutes on a loaded one).

Files written (all under tests/data/):

* model_lifetimes.json: "normal" cases. For each of the five models, random points at three
  parameter sets (the published MLE of REFERENCES.md, and two random sets with every parameter
  log-uniform in [0.05, 20]), plus the REFERENCES.md points ("label"). Each case holds the
  inputs, the values lifetimes returns ("lifetimes") and the mpmath values ("mpmath", 50 digits,
  rounded to double at the end). A quantity that lifetimes returns as NaN, +-inf, a probability
  outside [0, 1] or a negative expectation (or that raises) is null in "lifetimes" and described
  in the case's "lifetimes_failures" string.
* model_mpmath_extreme.json: same format, numerically hard inputs (x up to 1e5, T and t up to
  1e4, parameters 1e-3 .. 1e3, alpha/beta = 1e+-6, t_x = 0 with x > 0, t_x = T, a = 1 exactly
  for BG/NBD and MBG/NBD (the limit is given), s = 1 and alpha = beta exactly for Pareto/NBD,
  gamma = 1 for BG/BB, BG/BB with up to 1000 opportunities). Every mpmath value was computed by
  two independent methods that agree to REL_TOL_EXTREME (1e-13) relative; a case whose methods
  disagree or do not converge is dropped and listed under "dropped" (none in the committed file).
* model_fits_lifetimes.json: lifetimes' maximum-likelihood fits on CDNOW (BG/NBD, MBG/NBD,
  Pareto/NBD; Gamma-Gamma on the customers with x >= 1) and on the donations data (BG/BB,
  weighted), with the parameters, the total log-likelihood recomputed with mpmath at the fitted
  parameters, what lifetimes itself reports, and the wall-clock fit time.

Conventions (the Rust tests read these): x = frequency, t_x = recency, T = age, t = horizon;
params bg_nbd / mbg_nbd [r, alpha, a, b], pareto_nbd [r, alpha, s, beta], gamma_gamma [p, q, v],
bg_bb [alpha, beta, gamma, delta]. For bg_bb, "T" is the number n of transaction opportunities
of FORMULAS.md 2.4, "t" the number n* of future opportunities, "n" the count of the pmf and "m"
the look-ahead of lifetimes' P(alive at n + m). See each file's "notes" for the full key list.
"""

import importlib.metadata as md
import json
import math
import pathlib
import platform
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
REL_TOL_NORMAL = mp.mpf("1e-15")  # agreement required between the two mpmath methods (normal cases)
REL_TOL_EXTREME = mp.mpf("1e-13")  # same, extreme cases
ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT_NORMAL = DATA / "model_lifetimes.json"
OUT_EXTREME = DATA / "model_mpmath_extreme.json"
OUT_FITS = DATA / "model_fits_lifetimes.json"

mp.mp.dps = DPS
M = mp.mpf


def lnB(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


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


# ---------------------------------------------------------------------------------------------
# Quadrature with error control
# ---------------------------------------------------------------------------------------------

CHECK_DPS = 20  # working precision of the second-method (check) quadratures
CHECK_RTOL = M("1e-17")
PRIMARY_DPS = 40  # working precision of quadratures whose result is stored
PRIMARY_RTOL = M("1e-30")


def _split(a, b):
    if b == mp.inf:
        return a + max(abs(a), M(1)) * 3
    if a > 0 and b > 4 * a:
        return mp.sqrt(a * b)
    return (a + b) / 2


def _rule(method, a, b, first):
    if method != "auto":
        return method
    # tanh-sinh copes with endpoint singularities and infinite ranges; Gauss-Legendre is cheaper
    # on the interior pieces, where the integrands here are analytic.
    return "tanh-sinh" if (first or b == mp.inf) else "gauss-legendre"


def piece_magnitude(f, a, b):
    """Rough size of int_a^b f from a few samples (both ends included when finite)."""
    if b == mp.inf:
        xs, w = [a, a + 1, a + 10, 2 * a + 1], M(1)
    else:
        xs, w = [a + (b - a) * c for c in (M(0), M(1) / 4, M(1) / 2, M(3) / 4, M(1))], b - a
    vals = []
    for x in xs:
        try:
            v = abs(f(x))
        except (ZeroDivisionError, ValueError):
            continue
        if mp.isfinite(v):
            vals.append(v * w)
    return max(vals) if vals else mp.inf


def sampled_magnitude(f, pts):
    """Rough size of int f over pts (only used for scaling)."""
    mags = [piece_magnitude(f, a, b) for a, b in zip(pts[:-1], pts[1:]) if a != b]
    finite = [m for m in mags if mp.isfinite(m)]
    return max(finite) if finite else M(0)


def aquad(f, pts, rtol, method="auto", maxdepth=40, floor=None, norm=None):
    """Integral of f over the consecutive intervals of `pts`, each bisected until mpmath's error
    estimate is below rtol * max(|total|, floor) / 8. mp.quad stops refining once its error
    estimate is below the ABSOLUTE epsilon 2^-prec, which for tiny integrands (Pareto/NBD values
    ~1e-56) means at once: so the integrand is first normalised by a sampled estimate of the
    integral's magnitude (or by `norm`). Raises NotConverged if the target is not reached."""
    pts = [M(p) if p != mp.inf else p for p in pts]
    ivs = [(a, b, i == 0) for i, (a, b) in enumerate(zip(pts[:-1], pts[1:])) if a != b]
    S = norm if norm else sampled_magnitude(f, pts)
    if S == 0:
        S = M(1)
    fl = (floor / S) if floor else M(0)
    g = lambda x: f(x) / S  # noqa: E731
    pieces = []
    done = []
    for a, b, fi in ivs:
        if floor and piece_magnitude(f, a, b) < rtol * floor * M("1e-6"):
            continue  # negligible against the floor (the integrands here are smooth within a piece)
        v, e = mp.quad(g, [a, b], error=True, method=_rule(method, a, b, fi), maxdegree=7)
        pieces.append((a, b, v, e, 0, fi))
    total = mp.fsum(p[2] for p in pieces)
    while pieces:
        scale = max(abs(total), fl)
        if scale == 0:
            scale = M(1)
        a, b, v, e, d, fi = pieces.pop()
        if e <= rtol * scale / 8:
            done.append(v)
            continue
        if d >= maxdepth:
            raise NotConverged("quadrature on [%s, %s] did not reach rtol %s (err %s)" % (mp.nstr(a, 8), mp.nstr(b, 8), mp.nstr(rtol, 3), mp.nstr(e / scale, 3)))
        c = _split(a, b)
        v1, e1 = mp.quad(g, [a, c], error=True, method=_rule(method, a, c, fi), maxdegree=7)
        v2, e2 = mp.quad(g, [c, b], error=True, method=_rule(method, c, b, False), maxdegree=7)
        total += v1 + v2 - v
        pieces.append((a, c, v1, e1, d + 1, fi))
        pieces.append((c, b, v2, e2, d + 1, False))
    return mp.fsum(done) * S


def p_ladder(lo_pts, hi=M(1) / 2):
    """Sorted split points in (0, hi]: the given scale points (merged when closer than a factor
    of 2) plus decades in between."""
    pts = sorted({M(q) for q in lo_pts if 0 < q < hi})
    merged = []
    for q in pts:
        if not merged or q > 2 * merged[-1]:
            merged.append(q)
    if merged and merged[-1] * 2 > hi:
        merged.pop()
    merged.append(M(hi))
    out = []
    x = merged[0]
    for p1 in merged:
        while x * 10 < p1 / 2:
            x *= 10
            out.append(x)
        out.append(p1)
        x = p1
    return sorted(set(out))


def offset_ladder(lo, hi, scales):
    """Split points for an integral over [lo, hi] (hi may be +inf): lo + h for each scale h
    (merged when closer than a factor of 2) with decades in between."""
    lo = M(lo)
    scales = [M(h) for h in scales if M(h) > 0]
    if hi == mp.inf:
        hs = p_ladder(scales, hi=max(scales) * 4)
        pts = [lo] + [lo + h for h in hs] + [mp.inf]
    else:
        span = M(hi) - lo
        hs = p_ladder([h for h in scales if h < span / 2], hi=span / 2)
        pts = [lo] + [lo + h for h in hs] + [M(hi)]
    return sorted(set(pts))


def beta_expect(g, a, bp, anchors, rtol):
    """E_{p ~ Beta(a, b')}[g(p)] by quadrature in logarithmic variables, which removes the endpoint
    singularities: p = e^-y on (0, 1/2] (weight p^a (1-p)^(b'-1) dy) and 1 - p = e^-y on [1/2, 1)
    (weight (1-w)^(a-1) w^b' dy), y in [ln 2, inf); split at the images of the scale points
    `anchors`, with steps of at most 2 in y and 4/a (resp. 4/b') beyond the last anchor.
    Runs at the caller's precision."""
    a, bp = M(a), M(bp)
    lb = lnB(a, bp)
    ln2 = mp.log(2)

    def ypoints(qs, rate):
        ys = sorted({-mp.log(M(q)) for q in qs if 0 < q < M(1) / 2} | {ln2})
        out = [ys[0]]
        for y in ys[1:]:
            while y - out[-1] > 2:
                out.append(out[-1] + 2)
            out.append(y)
        # beyond the last anchor the weight decays like e^{-rate y}
        step = 4 / rate
        for _ in range(4):
            out.append(out[-1] + step)
            step *= 3
        return sorted(set(out)) + [mp.inf]

    def f_lo(y):
        p = mp.exp(-y)
        return g(p) * mp.exp(a * (-y) + (bp - 1) * mp.log1p(-p) - lb)

    def f_hi(y):
        w = mp.exp(-y)
        return g(1 - w) * mp.exp(bp * (-y) + (a - 1) * mp.log1p(-w) - lb)

    y_lo = ypoints([q for q in anchors], a)
    y_hi = ypoints([1 - q for q in anchors if 0 < q < 1], bp)
    # one absolute scale for both halves: the smaller half only needs accuracy relative to the sum
    norm = max(sampled_magnitude(f_lo, y_lo), sampled_magnitude(f_hi, y_hi))
    kw = dict(method="tanh-sinh", floor=norm / 1000, norm=norm)
    return aquad(f_lo, y_lo, rtol, **kw) + aquad(f_hi, y_hi, rtol, **kw)


def beta_anchor_points(a, bp):
    """Scale points of a Beta(a, b') density on (0, 1)."""
    a, bp = M(a), M(bp)
    mean = a / (a + bp)
    sd = mp.sqrt(a * bp / ((a + bp) ** 2 * (a + bp + 1)))
    pts = [mean, 1 / (a + bp)]
    for c in (3, 30):
        for q in (mean - c * sd, mean + c * sd):
            if 0 < q < 1:
                pts.append(q)
    return pts


# ---------------------------------------------------------------------------------------------
# Shared BG/NBD-family piece: G(a, b', k, beta0, t) = E_{p ~ Beta(a, b')}[(1/p)(1 - (beta0/(beta0 + p t))^k)]
# (the expected number of purchases in (0, t] of an alive customer with posterior
# lambda ~ Gamma(k, beta0), p ~ Beta(a, b'); FORMULAS.md 2.1 "2F1-free form").
#   BG/NBD:  E[Y(t)|x,t_x,T] = P(alive) G(a, b+x, r+x, alpha+T, t);   E[X(t)] = G(a, b, r, alpha, t)
#   MBG/NBD: E[Y(t)|x,t_x,T] = P(alive) G(a, b+x+1, r+x, alpha+T, t); E[X(t)] = b/(a+b) G(a, b+1, r, alpha, t)
# ---------------------------------------------------------------------------------------------

A_ONE_EPS = M("1e-30")


def G_closed(a, bp, k, beta0, t):
    """(a+b'-1)/(a-1) * [1 - (beta0/(beta0+t))^k 2F1(k, b'; a+b'-1; t/(beta0+t))]   (paper Eq. 9/10)."""
    a, bp, k, beta0, t = map(M, (a, bp, k, beta0, t))
    if a == 1:
        # the limit a -> 1: G is analytic in a, so the symmetric average is accurate to O(eps^2)
        with mp.workdps(mp.mp.dps + 40):
            return (G_closed(1 + A_ONE_EPS, bp, k, beta0, t) + G_closed(1 - A_ONE_EPS, bp, k, beta0, t)) / 2
    z = t / (beta0 + t)
    h = mp.hyp2f1(k, bp, a + bp - 1, z, maxterms=10**6)
    return (a + bp - 1) / (a - 1) * (1 - mp.power(beta0 / (beta0 + t), k) * h)


def G_pfaff(a, bp, k, beta0, t):
    """Pfaff-transformed: (a+b'-1)/(a-1) * [1 - 2F1(k, a-1; a+b'-1; -t/beta0)]."""
    a, bp, k, beta0, t = map(M, (a, bp, k, beta0, t))
    if a == 1:
        with mp.workdps(mp.mp.dps + 40):
            return (G_pfaff(1 + A_ONE_EPS, bp, k, beta0, t) + G_pfaff(1 - A_ONE_EPS, bp, k, beta0, t)) / 2
    h = mp.hyp2f1(k, a - 1, a + bp - 1, -t / beta0, maxterms=10**6)
    return (a + bp - 1) / (a - 1) * (1 - h)


HYP_MAX = M(30000)  # mpmath's hyp2f1 can hang (or, near z = -1, return garbage) beyond this parameter size


def G_quad(a, bp, k, beta0, t, dps=CHECK_DPS, rtol=CHECK_RTOL):
    """Direct quadrature over p of the posterior mixing integral (no singularity at a = 1), in the
    logarithmic variable y = -ln p."""
    a, bp, k, beta0, t = map(M, (a, bp, k, beta0, t))
    c = t / beta0

    def g(p):
        if p == 0:
            return k * c
        return -mp.expm1(-k * mp.log1p(p * c)) / p

    with mp.workdps(dps):
        return beta_expect(g, a, bp, beta_anchor_points(a, bp) + [1 / (k * c), 1 / c], rtol)


def G_quad_linear(a, bp, k, beta0, t, dps=CHECK_DPS, rtol=CHECK_RTOL):
    """The same integral without the logarithmic variable: in u = p^a (p^(a-1) dp = du/a) when
    a <= 1, in p itself when a > 1, tanh-sinh split at the Beta scale points: an independent
    quadrature for the cases where hyp2f1 is out of reach."""
    a, bp, k, beta0, t = map(M, (a, bp, k, beta0, t))
    c = t / beta0
    with mp.workdps(dps):
        lb = lnB(a, bp)

        def g(p):
            return k * c if p == 0 else -mp.expm1(-k * mp.log1p(p * c)) / p

        anchors = p_ladder(beta_anchor_points(a, bp) + [1 / (k * c), 1 / c], hi=M(1) - M(1) / 1000)
        if a <= 1:
            def f(u):
                if u >= 1:
                    return M(0)
                p = mp.power(u, 1 / a)
                return g(p) * mp.exp((bp - 1) * mp.log1p(-p) - lb) / a

            pts = [M(0)] + [mp.power(q, a) for q in anchors] + [M(1)]
        else:
            def f(p):
                if p <= 0 or p >= 1:
                    return M(0)
                return g(p) * mp.exp((a - 1) * mp.log(p) + (bp - 1) * mp.log1p(-p) - lb)

            pts = [M(0)] + anchors + [M(1)]
        return aquad(f, sorted(set(pts)), rtol, method="tanh-sinh")


def G_value(a, bp, k, beta0, t, tol):
    """Closed form via hyp2f1 (paper form; Pfaff form when the paper form fails), checked against
    the quadrature; for parameters beyond HYP_MAX two independent quadratures (the 40-digit
    log-variable one is stored)."""
    name = "G(a=%s,b'=%s,k=%s,beta0=%s,t=%s)" % tuple(mp.nstr(M(v), 6) for v in (a, bp, k, beta0, t))
    if max(M(k), M(bp), M(a) + M(bp)) > HYP_MAX:
        q1 = G_quad(a, bp, k, beta0, t, PRIMARY_DPS, PRIMARY_RTOL)
        q2 = G_quad_linear(a, bp, k, beta0, t)
        agree(name + " log-variable vs linear quadrature", q1, q2, tol)
        return q1
    q = G_quad(a, bp, k, beta0, t)
    try:
        c = G_closed(a, bp, k, beta0, t)
        agree(name + " paper 2F1 vs quad", c, q, tol)
        return c
    except (NotConverged, mp.libmp.NoConvergence, ZeroDivisionError) as e:
        first_err = e
    try:
        c = G_pfaff(a, bp, k, beta0, t)
    except (mp.libmp.NoConvergence, ZeroDivisionError) as e:
        raise NotConverged("%s: both 2F1 forms failed (%s; %s)" % (name, first_err, e))
    agree(name + " Pfaff 2F1 vs quad (paper form failed: %s)" % str(first_err)[:80], c, q, tol)
    return c


def exp_En(m, z):
    """e^z E_m(z) (generalized exponential integral), m >= 1, z > 0: mpmath's expint, or the even
    continued fraction (Numerical Recipes 6.3) when z >= 30 or m >= 300 (fast there) or expint fails."""
    m, z = M(m), M(z)
    if z < 30 and m < 300:
        try:
            return mp.exp(z) * mp.expint(m, z)
        except mp.libmp.NoConvergence:
            pass
    eps = mp.mpf(2) ** (-mp.mp.prec + 4)
    tiny = mp.mpf(2) ** (-10 * mp.mp.prec)
    b = z + m
    c = 1 / tiny
    d = 1 / b
    h = d
    i = 1
    while True:
        an = -i * (m - 1 + i)
        b += 2
        d = 1 / (an * d + b)
        c = b + an / c
        de = c * d
        h *= de
        if abs(de - 1) < eps:
            return h
        i += 1
        if i > 10**5:
            raise NotConverged("exp_En continued fraction m=%s z=%s" % (m, z))


def G_dert_meijer(a, bp, k, beta0, delta):
    """Closed form of delta int_0^inf e^{-delta t} G(t) dt = (k/(beta0 delta)) 3F1(k+1, a, 1; a+b'; -1/(beta0 delta)),
    the divergent 3F1 taken as its Borel sum (= the p- and t-integrals), i.e. the Meijer G function
    3F1(a1,a2,a3; b1; -w) = Gamma(b1)/(Gamma(a1)Gamma(a2)Gamma(a3)) G^{1,3}_{3,2}(w | 1-a1,1-a2,1-a3; 0, 1-b1)."""
    a, bp, k, beta0, delta = map(M, (a, bp, k, beta0, delta))
    w = 1 / (beta0 * delta)
    Gm = mp.meijerg([[-k, 1 - a, 0], []], [[0], [1 - (a + bp)]], w)
    return (k / (beta0 * delta)) * mp.exp(mp.loggamma(a + bp) - mp.loggamma(k + 1) - mp.loggamma(a)) * Gm


def G_dert_pint(a, bp, k, beta0, delta, dps, rtol):
    """p-integral: DERT/P(alive) = E_p[ E_lambda[lambda / (delta + lambda p)] ], with
    E_{lambda~Gamma(k, beta0)}[lambda/(delta+lambda p)] = (k/(beta0 delta)) z e^z E_{k+1}(z), z = beta0 delta / p."""
    a, bp, k, beta0, delta = map(M, (a, bp, k, beta0, delta))

    def g(p):
        if p == 0:
            return M(1)
        z = beta0 * delta / p
        return z * exp_En(k + 1, z)

    with mp.workdps(dps):
        anchors = beta_anchor_points(a, bp) + [beta0 * delta / k, beta0 * delta]
        return (k / (beta0 * delta)) * beta_expect(g, a, bp, anchors, rtol)


def G_dert_vint(a, bp, k, beta0, delta, dps, rtol):
    """Laplace-integral form: DERT/P(alive) = (k/(beta0 delta)) int_0^inf e^{-v} 2F1(k+1, a; a+b'; -v/(beta0 delta)) dv
    (from lambda/(delta+lambda p) = int_0^inf lambda e^{-(delta+lambda p)s} ds and E_p[(1+c p)^{-m}] = 2F1(m, a; a+b'; -c))."""
    a, bp, k, beta0, delta = map(M, (a, bp, k, beta0, delta))
    with mp.workdps(dps):
        w = beta0 * delta
        f = lambda v: mp.exp(-v) * mp.hyp2f1(k + 1, a, a + bp, -v / w, maxterms=10**6)  # noqa: E731
        pts = offset_ladder(0, mp.inf, [w / (k + 1), w, M(1), M(30)])
        return (k / w) * aquad(f, pts, rtol)


MEIJER_MAX_Z = M(30)  # mpmath's meijerg gets slow (minutes) for large beta0*delta unless k is large
VINT_MAX_K = M(1000)  # the v-integral's 2F1(k+1, ...) gets slow for larger k


def G_dert(a, bp, k, beta0, delta, tol):
    """DERT of the BG/NBD family for an alive customer: the Meijer-G closed form (when
    beta0 delta <= MEIJER_MAX_Z or k >= VINT_MAX_K, where meijerg is fast) checked against the
    p-integral; otherwise the p-integral at 40 digits checked against the Laplace (v-) integral of 2F1."""
    name = "DERT(a=%s,b'=%s,k=%s,beta0=%s,delta=%s)" % tuple(mp.nstr(M(v), 6) for v in (a, bp, k, beta0, delta))
    v1 = None
    if M(beta0) * M(delta) <= MEIJER_MAX_Z or M(k) >= VINT_MAX_K:
        try:
            v1 = G_dert_meijer(a, bp, k, beta0, delta)
        except (mp.libmp.NoConvergence, ZeroDivisionError, ValueError):
            v1 = None
    if v1 is not None:
        v2 = G_dert_pint(a, bp, k, beta0, delta, CHECK_DPS, CHECK_RTOL)
        agree(name + " Meijer G vs p-integral", v1, v2, tol)
        return v1
    v1 = G_dert_pint(a, bp, k, beta0, delta, PRIMARY_DPS, PRIMARY_RTOL)
    if M(k) < VINT_MAX_K:
        v2 = G_dert_vint(a, bp, k, beta0, delta, CHECK_DPS, CHECK_RTOL)
        agree(name + " p-integral vs v-integral", v1, v2, tol)
    else:
        v2 = G_dert_pint(a, bp, k, beta0, delta, CHECK_DPS + 6, CHECK_RTOL)
        agree(name + " p-integral at 40 vs 26 digits", v1, v2, tol)
    return v1


def nb_pmf(r, alpha, t, n):
    """Gamma-Poisson (NBD) P(N(t) = n) = Gamma(r+n)/(Gamma(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n."""
    r, alpha, t = M(r), M(alpha), M(t)
    return mp.exp(mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1) + r * mp.log(alpha / (alpha + t)) + n * mp.log(t / (alpha + t)))


def nb_tail(r, alpha, t, n, tol):
    """P(N(t) >= n) two ways: the regularized incomplete beta I_{t/(alpha+t)}(n, r), and sums of the
    NBD terms (recursion P(j+1) = P(j) (r+j)/(j+1) z): the upper tail sum_{j>=n} directly when
    z = t/(alpha+t) <= 0.9, else 1 - the finite sum of FORMULAS Eq. 8 at a precision raised by
    the number of digits the subtraction cancels."""
    r, alpha, t = M(r), M(alpha), M(t)
    if n == 0:
        return M(1)
    v1 = mp.betainc(n, r, 0, t / (alpha + t), regularized=True)
    lost = int(max(0, -mp.log10(v1))) if v1 > 0 else 0
    with mp.workdps(mp.mp.dps + 20 + lost):
        z = t / (alpha + t)
        if z <= M("0.9"):
            term = nb_pmf(r, alpha, t, n)
            acc = M(0)
            j = n
            while True:
                acc += term
                term = term * (r + j) / (j + 1) * z
                j += 1
                if term < acc * mp.mpf(10) ** (-(mp.mp.dps - lost)) and j > n + r:
                    break
                if j > n + 10**7:
                    raise NotConverged("nb_tail upper sum")
            v2 = acc
        else:
            term = mp.power(alpha / (alpha + t), r)
            acc = M(0)
            for j in range(n):
                acc += term
                term = term * (r + j) / (j + 1) * z
            v2 = 1 - acc
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
    with mp.workdps(PRIMARY_DPS):
        return aquad(f, offset_ladder(tx, T, anchors), PRIMARY_RTOL)


def pareto_integral_check(r, alpha, s, beta, x, tx, T):
    """The same integral in the variable w = ln(alpha + tau) with Gauss-Legendre at 20 digits (for
    parameters where hyp2f1 is out of reach)."""
    r, alpha, s, beta, tx, T = map(M, (r, alpha, s, beta, tx, T))
    with mp.workdps(CHECK_DPS):
        f = lambda w: mp.exp(w * (1 - (r + x))) * mp.power(beta - alpha + mp.exp(w), -(s + 1))  # noqa: E731
        w0, w1 = mp.log(alpha + tx), mp.log(alpha + T)
        k = r + x + s
        pts = [w0]
        h = 1 / k
        while w0 + h < w1 and h < 1000:
            pts.append(w0 + h)
            h *= 3
        pts.append(w1)
        return aquad(f, pts, CHECK_RTOL, method="gauss-legendre")


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
    if check_hyp and I != 0:
        if r + s + x <= HYP_MAX:
            with mp.workdps(mp.mp.dps + 60):  # the hyp2f1 difference can cancel when t_x ~ T
                I2 = pareto_A0_term(r, alpha, s, beta, x, tx, T)
            agree("pareto A0 integral vs hyp2f1", I, I2, tol)
        else:
            I2 = s * pareto_integral_check(r, alpha, s, beta, x, tx, T)
            agree("pareto A0 integral: tanh-sinh (tau) vs Gauss-Legendre (log tau)", I, I2, tol)
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
    J1 = B * exp_En(s, z)  # = B^s delta^{s-1} U(s, s, z) = B e^z E_s(z)
    try:
        J2 = B * mp.hyperu(1, 2 - s, z)
        agree("pareto dert expint vs hyperu", J1, J2, tol)
    except mp.libmp.NoConvergence:
        pass
    g = lambda t: mp.exp(-delta * t) * mp.power(B / (B + t), s)  # noqa: E731
    with mp.workdps(CHECK_DPS):
        J3 = aquad(g, offset_ladder(0, mp.inf, [1 / delta, B / s, B]), CHECK_RTOL)
    agree("pareto dert expint vs quad", J1, J3, tol)
    return pa * (r + x) / (alpha + T) * J1


def pareto_pmf(r, alpha, s, beta, t, n, tol):
    """P(X(t) = n) = NB(n; t) (beta/(beta+t))^s + s beta^s int_0^t NB(n; tau) (beta+tau)^{-(s+1)} dtau
    (derived: lifetime omega ~ Exp(mu) mixed over mu ~ Gamma(s, beta); NB is the gamma-Poisson pmf)."""
    r, alpha, s, beta, t = map(M, (r, alpha, s, beta, t))
    head = nb_pmf(r, alpha, t, n) * mp.power(beta / (beta + t), s)
    f = lambda tau: nb_pmf(r, alpha, tau, n) * mp.power(beta + tau, -(s + 1)) if tau > 0 else (M(1) if n == 0 else M(0)) * mp.power(beta, -(s + 1))  # noqa: E731
    anchors = [alpha / (n + r + 1), alpha, beta, alpha * (n + 1) / max(r, M("1e-3"))]
    with mp.workdps(PRIMARY_DPS):
        I1 = aquad(f, offset_ladder(0, t, anchors), PRIMARY_RTOL, method="tanh-sinh")
    with mp.workdps(CHECK_DPS):
        I2 = aquad(f, offset_ladder(0, t, anchors + [t / 3]), CHECK_RTOL, method="gauss-legendre")
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


# ---------------------------------------------------------------------------------------------
# lifetimes side
# ---------------------------------------------------------------------------------------------

PARAM_NAMES = {
    "bg_nbd": ["r", "alpha", "a", "b"],
    "mbg_nbd": ["r", "alpha", "a", "b"],
    "pareto_nbd": ["r", "alpha", "s", "beta"],
    "gamma_gamma": ["p", "q", "v"],
    "bg_bb": ["alpha", "beta", "gamma", "delta"],
}
FITTERS = {
    "bg_nbd": BetaGeoFitter,
    "mbg_nbd": ModifiedBetaGeoFitter,
    "pareto_nbd": ParetoNBDFitter,
    "gamma_gamma": GammaGammaFitter,
    "bg_bb": BetaGeoBetaBinomFitter,
}
PROBABILITIES = {"p_alive", "p_alive_at_n_plus_m", "pmf"}
EXPECTATIONS = {"conditional_expected", "expected", "expected_spend"}


def lt_fitter(model, params):
    f = FITTERS[model]()
    f.params_ = pd.Series([float(v) for v in params], index=PARAM_NAMES[model], dtype=float)
    return f


def first(v):
    v = np.asarray(v, dtype=float).ravel()
    return float(v[0])


def lifetimes_values(model, params, case):
    """Evaluate lifetimes at the case; returns (values, failures)."""
    f = lt_fitter(model, params)
    calls = {}
    A = lambda v, dt=float: np.array([v], dtype=dt)  # noqa: E731
    if model in ("bg_nbd", "mbg_nbd", "pareto_nbd"):
        x, tx, T, t = A(case["x"], int), A(case["t_x"]), A(case["T"]), case["t"]
        cls = FITTERS[model]
        calls["p_alive"] = lambda: f.conditional_probability_alive(x, tx, T)
        calls["conditional_expected"] = lambda: f.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T)
        calls["expected"] = lambda: f.expected_number_of_purchases_up_to_time(t)
        if model != "pareto_nbd":
            calls["pmf"] = lambda: f.probability_of_n_purchases_up_to_time(t, case["n"])
            calls["log_likelihood"] = lambda: -cls._negative_log_likelihood(np.log(np.asarray(params, dtype=float)), x, tx, T, A(1, int), 0.0)
        else:
            calls["log_likelihood"] = lambda: cls._conditional_log_likelihood(np.asarray(params, dtype=float), x, tx, T)
    elif model == "bg_bb":
        x, tx, n = A(case["x"], int), A(case["t_x"], int), A(case["T"], int)
        t, m = case["t"], case["m"]
        calls["p_alive"] = lambda: f.conditional_probability_alive(1, x, tx, n)
        calls["p_alive_at_n_plus_m"] = lambda: f.conditional_probability_alive(m, x, tx, n)
        calls["conditional_expected"] = lambda: f.conditional_expected_number_of_purchases_up_to_time(t, x, tx, n)

        def pmf():
            # lifetimes' only pmf is expected_number_of_transactions_in_first_n_periods(n), which returns
            # P(X(n) = x) * (total weight) for each x among the fitted frequencies: one row of weight 1.
            f.data = pd.DataFrame({"frequency": [int(case["n"])], "weights": [1]})
            return f.expected_number_of_transactions_in_first_n_periods(int(t))["model"].values

        calls["pmf"] = pmf
        calls["log_likelihood"] = lambda: BetaGeoBetaBinomFitter._loglikelihood(np.asarray(params, dtype=float), x, tx, n)
    elif model == "gamma_gamma":
        x, mx = A(case["x"]), A(case["m_x"])
        calls["expected_spend"] = lambda: f.conditional_expected_average_profit(x, mx)
        if case["x"] >= 1:
            calls["log_likelihood"] = lambda: -GammaGammaFitter._negative_log_likelihood(np.log(np.asarray(params, dtype=float)), x, mx, A(1), 0.0)
    values, failures = {}, []
    for key, fn in calls.items():
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                v = first(fn())
        except Exception as e:  # lifetimes raising is a failure to record, not a script error
            values[key] = None
            failures.append("%s: raised %s: %s" % (key, type(e).__name__, str(e).splitlines()[0][:120] if str(e) else ""))
            continue
        if not math.isfinite(v):
            values[key] = None
            failures.append("%s: returned %r" % (key, v))
        elif key in PROBABILITIES and not (0.0 <= v <= 1.0):
            values[key] = None
            failures.append("%s: returned %r (probability outside [0, 1])" % (key, v))
        elif key in EXPECTATIONS and v < 0:
            values[key] = None
            failures.append("%s: returned %r (negative expectation)" % (key, v))
        else:
            values[key] = v
    return values, failures


# ---------------------------------------------------------------------------------------------
# mpmath side: one case
# ---------------------------------------------------------------------------------------------


def mpmath_values(model, params, case, tol):
    if model in ("bg_nbd", "mbg_nbd"):
        out = bg_family(model, params, case["x"], case["t_x"], case["T"], case["t"], case.get("n"), case.get("delta"), tol)
    elif model == "pareto_nbd":
        out = pareto_all(params, case["x"], case["t_x"], case["T"], case["t"], case.get("n"), case.get("delta"), tol)
    elif model == "bg_bb":
        out = bgbb_all(params, case["x"], case["t_x"], case["T"], case["t"], case["m"], case.get("n"), case.get("delta"), tol)
    elif model == "gamma_gamma":
        out = gg_all(params, case["x"], case["m_x"])
    else:
        raise ValueError(model)
    res = {}
    for k, v in out.items():
        fv = float(v)
        if not math.isfinite(fv):
            raise NotConverged("%s: mpmath value %s does not fit a double" % (k, mp.nstr(v, 10)))
        res[k] = fv
    return res


def build_case(model, params, param_set, inputs, tol, label=None):
    case = {"model": model, "param_set": param_set, "params": [float(v) for v in params]}
    if label:
        case["label"] = label
    case.update(inputs)
    t0 = time.time()
    mpv = mpmath_values(model, params, case, tol)  # raises NotConverged
    lt, fails = lifetimes_values(model, params, case)
    case["lifetimes"] = lt
    if fails:
        case["lifetimes_failures"] = "; ".join(fails)
    case["mpmath"] = mpv
    case["_seconds"] = time.time() - t0
    return case


# ---------------------------------------------------------------------------------------------
# case generation
# ---------------------------------------------------------------------------------------------

PUBLISHED = {
    "bg_nbd": [0.243, 4.414, 0.793, 2.426],
    "mbg_nbd": [0.525, 6.183, 0.891, 1.614],
    "pareto_nbd": [0.553, 10.578, 0.606, 11.669],
    "gamma_gamma": [6.25, 3.74, 15.44],
    "bg_bb": [1.204, 0.750, 0.657, 2.783],
}
MODELS = ["bg_nbd", "mbg_nbd", "pareto_nbd", "bg_bb", "gamma_gamma"]
CASES_PER_SET = 14


def r4(v):
    return float(round(float(v), 4))


def loguniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def random_params(rng, model):
    k = len(PARAM_NAMES[model])
    while True:
        p = [float("%.6g" % loguniform(rng, 0.05, 20.0)) for _ in range(k)]
        if model == "gamma_gamma" and p[1] <= 1.0:
            continue  # q > 1: population mean p v/(q-1) exists
        if model == "pareto_nbd" and p[2] == 1.0:
            continue
        if model in ("bg_nbd", "mbg_nbd") and abs(p[2] - 1.0) < 0.02:
            continue  # keep the normal cases away from the a = 1 singularity of the closed form
        return p


def random_inputs(rng, model):
    if model == "bg_bb":
        n = int(rng.integers(1, 101))
        tx = int(rng.integers(0, n + 1))
        x = 0 if tx == 0 else int(rng.integers(1, min(tx, 50) + 1))
        t = int(rng.integers(1, 101))
        return {"x": x, "t_x": tx, "T": n, "t": t, "m": int(rng.integers(0, 21)), "n": int(rng.integers(0, min(t, 30) + 1)),
                "delta": r4(loguniform(rng, 0.01, 0.5))}
    if model == "gamma_gamma":
        x = 0 if rng.uniform() < 0.1 else int(rng.integers(1, 51))
        return {"x": x, "m_x": r4(loguniform(rng, 1.0, 500.0))}
    x = 0 if rng.uniform() < 0.2 else int(rng.integers(1, 51))
    T = r4(rng.uniform(0.5, 100.0))
    tx = 0.0 if x == 0 else r4(rng.uniform(0.0, 1.0) * T)
    tx = min(tx, T)
    t = r4(rng.uniform(0.1, 100.0))
    out = {"x": x, "t_x": tx, "T": T, "t": t, "n": int(rng.integers(0, 21)), "delta": r4(loguniform(rng, 1e-3, 0.2))}
    return out


def reference_cases():
    """The REFERENCES.md points."""
    out = []
    bg = PUBLISHED["bg_nbd"]
    out.append(("bg_nbd", bg, {"x": 2, "t_x": 30.43, "T": 38.86, "t": 39.0, "n": 0, "delta": 0.0027},
                "REFERENCES.md: E[X(39)|x=2,t_x=30.43,T=38.86] = 1.226; P(X(39)=0) = 0.5737864"))
    out.append(("bg_nbd", bg, {"x": 2, "t_x": 30.43, "T": 38.86, "t": 2.0, "n": 10, "delta": 0.0027},
                "REFERENCES.md: P(X(2)=10) = 1.07869e-07"))
    bg_hp = [0.2425945, 4.4136019, 0.7929199, 2.4258881]
    for t in (0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0):
        out.append(("bg_nbd", bg_hp, {"x": 0, "t_x": 0.0, "T": 38.86, "t": t, "n": 1, "delta": 0.0027},
                    "REFERENCES.md: E[X(t)] at the CLVTools high-precision MLE, t=%s" % t))
    out.append(("mbg_nbd", PUBLISHED["mbg_nbd"], {"x": 2, "t_x": 30.43, "T": 38.86, "t": 39.0, "n": 0, "delta": 0.0027},
                "REFERENCES.md point at the published MBG/NBD MLE"))
    out.append(("pareto_nbd", PUBLISHED["pareto_nbd"], {"x": 2, "t_x": 30.43, "T": 38.86, "t": 39.0, "n": 0, "delta": 0.0027},
                "REFERENCES.md point at the published Pareto/NBD MLE"))
    for t in (1.0, 5.0, 9.0):
        out.append(("pareto_nbd", [0.55, 10.56, 0.61, 11.64], {"x": 0, "t_x": 0.0, "T": 38.86, "t": t, "n": 1, "delta": 0.0027},
                    "REFERENCES.md: E[X(t)] at (0.55, 10.56, 0.61, 11.64) (R BTYD docs), t=%s" % t))
    cd = pd.read_csv(DATA / "cdnow_summary.csv").head(10)
    for _, row in cd.iterrows():
        out.append(("gamma_gamma", PUBLISHED["gamma_gamma"], {"x": int(row["x"]), "m_x": float(row["zbar"])},
                    "REFERENCES.md: cdnow_summary.csv customer %d at the published Gamma-Gamma MLE" % int(row["ID"])))
    out.append(("bg_bb", PUBLISHED["bg_bb"], {"x": 6, "t_x": 6, "T": 6, "t": 5, "m": 5, "n": 6, "delta": 0.1},
                "donations cell (6, 6, 6) at the published BG/BB MLE; pmf = P(X(6)=6) (x 11104 = 1253.1 expected)"))
    out.append(("bg_bb", PUBLISHED["bg_bb"], {"x": 0, "t_x": 0, "T": 6, "t": 5, "m": 5, "n": 0, "delta": 0.1},
                "donations cell (0, 0, 6) at the published BG/BB MLE; pmf at t=5"))
    return out


def extreme_inputs():
    """Hand-picked hard points plus seeded random ones (see the module docstring)."""
    rng = np.random.default_rng(SEED + 1)
    out = []

    def add(model, params, label, **inputs):
        out.append((model, [float(v) for v in params], inputs, label))

    def lu(lo, hi):
        return float("%.6g" % loguniform(rng, lo, hi))

    # ---- BG/NBD and MBG/NBD ----
    for model in ("bg_nbd", "mbg_nbd"):
        pub = PUBLISHED[model]
        add(model, pub, "x = 1e5, t_x = T = 1e4, t = 1e4", x=100000, t_x=10000.0, T=10000.0, t=10000.0, n=1000, delta=0.0027)
        add(model, pub, "x = 1e5 with t_x = 0 (dead for sure)", x=100000, t_x=0.0, T=10000.0, t=10000.0, n=0, delta=0.0027)
        add(model, pub, "x = 1e4, t_x just below T", x=10000, t_x=9999.99, T=10000.0, t=100.0, n=500, delta=0.1)
        add(model, pub, "x = 0, T = 1e4, t = 1e4", x=0, t_x=0.0, T=10000.0, t=10000.0, n=1000, delta=1e-4)
        add(model, [0.5, 2.0, 1.0, 3.0], "a = 1 exactly (closed forms singular; limit)", x=5, t_x=10.0, T=20.0, t=100.0, n=3, delta=0.01)
        add(model, [0.5, 2.0, 1.0, 3.0], "a = 1 exactly, x = 0, long horizon", x=0, t_x=0.0, T=20.0, t=10000.0, n=50, delta=0.001)
        add(model, [2.0, 0.5, 1.0 + 1e-9, 0.7], "a = 1 + 1e-9 (cancellation in (a+b-1)/(a-1) [1 - 2F1])", x=3, t_x=2.0, T=8.0, t=50.0, n=2, delta=0.05)
        add(model, [1.5, 3.0, 1.0 - 1e-7, 5.0], "a = 1 - 1e-7", x=20, t_x=15.0, T=30.0, t=1000.0, n=40, delta=0.01)
        add(model, [1000.0, 0.001, 0.5, 2.0], "r = 1e3, alpha = 1e-3 (huge purchase rates)", x=1000, t_x=0.5, T=1.0, t=1.0, n=1000, delta=0.1)
        add(model, [0.001, 1000.0, 0.5, 2.0], "r = 1e-3, alpha = 1e3 (tiny rates)", x=1, t_x=100.0, T=10000.0, t=10000.0, n=1, delta=0.0027)
        add(model, [0.3, 0.001, 0.001, 1000.0], "a = 1e-3, b = 1e3, alpha = 1e-3 (z -> 1)", x=50, t_x=500.0, T=1000.0, t=10000.0, n=100, delta=0.0027)
        add(model, [0.3, 5.0, 1000.0, 0.001], "a = 1e3, b = 1e-3 (dropout almost certain)", x=2, t_x=1.0, T=100.0, t=100.0, n=2, delta=0.0027)
        add(model, [1000.0, 1000.0, 1000.0, 1000.0], "all parameters 1e3", x=100000, t_x=5000.0, T=10000.0, t=10000.0, n=1000, delta=0.01)
        add(model, [0.001, 0.001, 0.001, 0.001], "all parameters 1e-3", x=10, t_x=0.0, T=10000.0, t=10000.0, n=10, delta=0.01)
        for _ in range(16):
            params = [lu(1e-3, 1e3) for _ in range(4)]
            x = int(rng.choice([0, 1, 10, 100, 1000, 10000, 100000]))
            T = lu(0.5, 1e4)
            kind = int(rng.integers(0, 3))
            tx = 0.0 if (x == 0 or kind == 0) else (T if kind == 1 else r4(rng.uniform() * T))
            add(model, params, "random", x=x, t_x=min(tx, T), T=T, t=lu(1e-2, 1e4), n=int(rng.choice([0, 1, 5, 50, 500, 1000])),
                delta=lu(1e-4, 1.0))
    # ---- Pareto/NBD ----
    m = "pareto_nbd"
    pub = PUBLISHED[m]
    add(m, pub, "x = 1e5, t_x = T = 1e4", x=100000, t_x=10000.0, T=10000.0, t=10000.0, n=1000, delta=0.0027)
    add(m, pub, "x = 1e5, t_x = 0", x=100000, t_x=0.0, T=10000.0, t=10000.0, n=0, delta=0.0027)
    add(m, [0.5, 1000.0, 0.7, 0.001], "alpha/beta = 1e6 (z = (alpha-beta)/(alpha+t_x) -> 1)", x=5, t_x=0.0, T=10000.0, t=100.0, n=5, delta=0.0027)
    add(m, [0.5, 1000.0, 0.7, 0.001], "alpha/beta = 1e6, x = 1e3", x=1000, t_x=10.0, T=10000.0, t=10000.0, n=100, delta=0.01)
    add(m, [0.5, 0.001, 0.7, 1000.0], "beta/alpha = 1e6", x=5, t_x=0.0, T=10000.0, t=100.0, n=5, delta=0.0027)
    add(m, [0.5, 0.001, 0.7, 1000.0], "beta/alpha = 1e6, x = 1e4, t_x = T/2", x=10000, t_x=5000.0, T=10000.0, t=10000.0, n=1000, delta=0.01)
    add(m, [0.6, 10.0, 1.0, 12.0], "s = 1 exactly (E[X(t)] log form)", x=3, t_x=20.0, T=39.0, t=39.0, n=2, delta=0.0027)
    add(m, [0.6, 10.0, 1.0, 10.0], "s = 1 and alpha = beta exactly", x=3, t_x=20.0, T=39.0, t=1000.0, n=2, delta=0.0027)
    add(m, [0.6, 10.0, 0.8, 10.0], "alpha = beta exactly", x=7, t_x=5.0, T=39.0, t=39.0, n=7, delta=0.0027)
    add(m, [0.6, 10.0, 1.0 + 1e-9, 12.0], "s = 1 + 1e-9", x=3, t_x=20.0, T=39.0, t=10000.0, n=2, delta=0.0027)
    add(m, [1000.0, 0.001, 1000.0, 0.001], "r = s = 1e3, alpha = beta = 1e-3", x=100, t_x=1.0, T=2.0, t=1.0, n=1000, delta=1.0)
    add(m, [0.001, 1000.0, 0.001, 1000.0], "r = s = 1e-3, alpha = beta = 1e3", x=0, t_x=0.0, T=10000.0, t=10000.0, n=0, delta=1e-4)
    add(m, [0.001, 0.001, 0.001, 1000.0], "tiny r, alpha, s", x=1, t_x=10000.0, T=10000.0, t=10000.0, n=1, delta=1e-4)
    add(m, [50.0, 0.01, 0.05, 200.0], "x = 1e5, t_x = 0.5 T", x=100000, t_x=5000.0, T=10000.0, t=10000.0, n=1000, delta=0.0027)
    for _ in range(16):
        params = [lu(1e-3, 1e3) for _ in range(4)]
        x = int(rng.choice([0, 1, 10, 100, 1000, 10000, 100000]))
        T = lu(0.5, 1e4)
        kind = int(rng.integers(0, 3))
        tx = 0.0 if (x == 0 or kind == 0) else (T if kind == 1 else r4(rng.uniform() * T))
        add(m, params, "random", x=x, t_x=min(tx, T), T=T, t=lu(1e-2, 1e4), n=int(rng.choice([0, 1, 5, 50, 500, 1000])), delta=lu(1e-4, 1.0))
    # ---- BG/BB ----
    m = "bg_bb"
    pub = PUBLISHED[m]
    add(m, pub, "n = 1000, x = t_x = n", x=1000, t_x=1000, T=1000, t=1000, m=1000, n=1000, delta=0.1)
    add(m, pub, "n = 1000, x = 1, t_x = 1", x=1, t_x=1, T=1000, t=1000, m=10, n=0, delta=0.1)
    add(m, pub, "n = 1000, x = 500, t_x = 999", x=500, t_x=999, T=1000, t=100, m=5, n=50, delta=0.01)
    add(m, pub, "n = 1000, x = 0", x=0, t_x=0, T=1000, t=1000, m=1, n=500, delta=0.01)
    add(m, [1.2, 0.75, 1.0, 2.8], "gamma = 1 exactly (delta/(gamma-1) singular)", x=3, t_x=5, T=6, t=100, m=5, n=3, delta=0.1)
    add(m, [1000.0, 0.001, 0.001, 1000.0], "p ~ 1, theta ~ 0", x=999, t_x=1000, T=1000, t=1000, m=1000, n=1000, delta=0.01)
    add(m, [0.001, 1000.0, 1000.0, 0.001], "p ~ 0, theta ~ 1", x=1, t_x=3, T=1000, t=10, m=1, n=1, delta=0.5)
    add(m, [0.001, 0.001, 0.001, 0.001], "all parameters 1e-3", x=500, t_x=700, T=1000, t=1000, m=100, n=1000, delta=0.01)
    add(m, [1000.0, 1000.0, 1000.0, 1000.0], "all parameters 1e3", x=500, t_x=1000, T=1000, t=1000, m=100, n=500, delta=0.01)
    add(m, [2.0, 3.0, 0.5, 0.01], "delta = 0.01, long future", x=100, t_x=300, T=500, t=1000, m=1000, n=200, delta=0.01)
    for _ in range(20):
        params = [lu(1e-3, 1e3) for _ in range(4)]
        n = int(rng.choice([10, 100, 300, 1000]))
        kind = int(rng.integers(0, 4))
        if kind == 0:
            x, tx = 0, 0
        else:
            tx = n if kind == 1 else int(rng.integers(1, n + 1))
            x = int(rng.integers(1, tx + 1)) if kind != 3 else tx
        t = int(rng.choice([1, 10, 100, 1000]))
        add(m, params, "random", x=x, t_x=tx, T=n, t=t, m=int(rng.choice([0, 1, 10, 1000])), n=int(rng.integers(0, t + 1)),
            delta=lu(0.01, 1.0))
    # ---- Gamma-Gamma ----
    m = "gamma_gamma"
    pub = PUBLISHED[m]
    add(m, pub, "x = 1e5", x=100000, m_x=35.0)
    add(m, pub, "m_x = 1e6", x=3, m_x=1e6)
    add(m, pub, "m_x = 1e-3", x=3, m_x=1e-3)
    add(m, [1000.0, 1000.0, 1000.0], "p = q = v = 1e3", x=100000, m_x=1e6)
    add(m, [0.001, 1000.0, 0.001], "p = 1e-3, q = 1e3, v = 1e-3", x=1, m_x=1e-3)
    add(m, [0.001, 1.0 + 1e-9, 1000.0], "q = 1 + 1e-9 (population mean ~ 1e9 p v)", x=1, m_x=10.0)
    add(m, [0.001, 1.0 + 1e-9, 1000.0], "q = 1 + 1e-9, x = 0 (population mean)", x=0, m_x=0.0)
    add(m, [1000.0, 1.5, 0.001], "p = 1e3, v = 1e-3", x=100000, m_x=1e-3)
    add(m, [0.5, 3.0, 1e3], "x = 1", x=1, m_x=1e6)
    add(m, [6.25, 3.74, 15.44], "x = 1e5, m_x = 1e-3", x=100000, m_x=1e-3)
    return out


# ---------------------------------------------------------------------------------------------
# Fits
# ---------------------------------------------------------------------------------------------


def pareto_ll_fast(r, alpha, s, beta, x, tx, T):
    """Per-customer Pareto/NBD log-likelihood via the hyp2f1 case split (used for the 2357-row
    totals; every 20th row is also checked against the integral form)."""
    r, alpha, s, beta, tx, T = map(M, (r, alpha, s, beta, tx, T))
    term1 = mp.power(alpha + T, -(r + x)) * mp.power(beta + T, -s)
    with mp.workdps(mp.mp.dps + 30):
        I = pareto_A0_term(r, alpha, s, beta, x, tx, T)
    return mp.loggamma(r + x) + r * mp.log(alpha) + s * mp.log(beta) - mp.loggamma(r) + mp.log(term1 + I)


def run_fits():
    cd = pd.read_csv(DATA / "cdnow_summary.csv")
    dn = pd.read_csv(DATA / "donations.csv")
    x = cd["x"].to_numpy()
    tx = cd["t_x"].to_numpy()
    T = cd["T"].to_numpy()
    sum_x = int(x.sum())
    Tmax = float(T.max())
    out = {}

    def timed(fn):
        t0 = time.perf_counter()
        f = fn()
        return f, time.perf_counter() - t0

    # BG/NBD, MBG/NBD
    for model, cls, llfun in (("bg_nbd", BetaGeoFitter, bgnbd_ll), ("mbg_nbd", ModifiedBetaGeoFitter, mbgnbd_ll)):
        f, sec = timed(lambda: cls(penalizer_coef=0.0).fit(cd["x"], cd["t_x"], cd["T"]))
        params = [float(f.params_[n]) for n in PARAM_NAMES[model]]
        ll = mp.fsum(llfun(*params, int(xi), ti, Ti, REL_TOL_NORMAL) for xi, ti, Ti in zip(x, tx, T))
        nll = float(f._negative_log_likelihood_)
        out[model] = {
            "fitter": "%s(penalizer_coef=0).fit(frequency=x, recency=t_x, T=T)" % cls.__name__,
            "data": "tests/data/cdnow_summary.csv, all 2357 customers",
            "param_names": PARAM_NAMES[model],
            "params": params,
            "log_likelihood_total": float(ll),
            "lifetimes_negative_log_likelihood_": nll,
            "lifetimes_negative_log_likelihood_meaning": (
                "mean over customers of -LL computed on time rescaled by 1/max(T) (lifetimes fits on t/max(T));"
                " total LL in weeks = -N*value - sum(x)*ln(max T)"),
            "lifetimes_log_likelihood_total_converted": -len(x) * nll - sum_x * math.log(Tmax),
            "fit_seconds": sec,
        }
    # Pareto/NBD (random start: seeded)
    np.random.seed(SEED)
    f, sec = timed(lambda: ParetoNBDFitter(penalizer_coef=0.0).fit(cd["x"], cd["t_x"], cd["T"]))
    params = [float(f.params_[n]) for n in PARAM_NAMES["pareto_nbd"]]
    lls = []
    for i, (xi, ti, Ti) in enumerate(zip(x, tx, T)):
        v = pareto_ll_fast(*params, int(xi), ti, Ti)
        if i % 20 == 0:
            v2, _ = pareto_core(*params, int(xi), ti, Ti, REL_TOL_NORMAL, check_hyp=False)
            agree("pareto fit LL row %d hyp2f1 vs integral" % i, v, v2, REL_TOL_NORMAL)
        lls.append(v)
    nll = float(f._negative_log_likelihood_)
    out["pareto_nbd"] = {
        "fitter": "ParetoNBDFitter(penalizer_coef=0).fit(frequency=x, recency=t_x, T=T) (Nelder-Mead, tol 1e-4, start N(1, 0.05) from np.random.seed(%d))" % SEED,
        "data": "tests/data/cdnow_summary.csv, all 2357 customers",
        "param_names": PARAM_NAMES["pareto_nbd"],
        "params": params,
        "log_likelihood_total": float(mp.fsum(lls)),
        "lifetimes_negative_log_likelihood_": nll,
        "lifetimes_negative_log_likelihood_meaning": (
            "TOTAL (sum, divided by mean weight = 1) of -LL computed on time rescaled by 1/max(T);"
            " total LL in weeks = -value - sum(x)*ln(max T)"),
        "lifetimes_log_likelihood_total_converted": -nll - sum_x * math.log(Tmax),
        "fit_seconds": sec,
    }
    # Gamma-Gamma on x >= 1
    g = cd[cd["x"] >= 1]
    f, sec = timed(lambda: GammaGammaFitter(penalizer_coef=0.0).fit(g["x"], g["zbar"]))
    params = [float(f.params_[n]) for n in PARAM_NAMES["gamma_gamma"]]
    ll = mp.fsum(gg_all(params, int(xi), mi)["log_likelihood"] for xi, mi in zip(g["x"], g["zbar"]))
    nll = float(f._negative_log_likelihood_)
    out["gamma_gamma"] = {
        "fitter": "GammaGammaFitter(penalizer_coef=0).fit(frequency=x, monetary_value=zbar) on the customers with x >= 1",
        "data": "tests/data/cdnow_summary.csv, the %d customers with x >= 1" % len(g),
        "param_names": PARAM_NAMES["gamma_gamma"],
        "params": params,
        "log_likelihood_total": float(ll),
        "lifetimes_negative_log_likelihood_": nll,
        "lifetimes_negative_log_likelihood_meaning": "mean over customers of -LL (density of m_x, FORMULAS.md 2.5); total = -N*value",
        "lifetimes_log_likelihood_total_converted": -len(g) * nll,
        "fit_seconds": sec,
    }
    # BG/BB on donations (weighted)
    f, sec = timed(lambda: BetaGeoBetaBinomFitter(penalizer_coef=0.0).fit(dn["frequency"], dn["recency"], dn["periods"], dn["weights"]))
    params = [float(f.params_[n]) for n in PARAM_NAMES["bg_bb"]]
    ll = mp.fsum(int(w) * mp.log(bgbb_L(*params, int(xx), int(tt), int(nn), REL_TOL_NORMAL))
                 for xx, tt, nn, w in zip(dn["frequency"], dn["recency"], dn["periods"], dn["weights"]))
    nll = float(f._negative_log_likelihood_)
    W = int(dn["weights"].sum())
    out["bg_bb"] = {
        "fitter": "BetaGeoBetaBinomFitter(penalizer_coef=0).fit(frequency, recency, n_periods=periods, weights=weights)",
        "data": "tests/data/donations.csv (22 cells, %d donors)" % W,
        "param_names": PARAM_NAMES["bg_bb"],
        "params": params,
        "log_likelihood_total": float(ll),
        "lifetimes_negative_log_likelihood_": nll,
        "lifetimes_negative_log_likelihood_meaning": (
            "weighted mean over donors of -LL (lifetimes adds 1e-15 inside its likelihood sum, negligible here);"
            " total = -sum(weights)*value"),
        "lifetimes_log_likelihood_total_converted": -W * nll,
        "fit_seconds": sec,
    }
    return out


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def versions():
    v = {"python": platform.python_version()}
    for pkg in ("lifetimes", "numpy", "scipy", "pandas", "autograd", "mpmath", "dill", "python-dateutil", "tzdata"):
        try:
            v[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            v[pkg] = None
    v["pip"] = ("python3 -m venv .venv && .venv/bin/pip install " + " ".join(
        "%s==%s" % (k, v[k]) for k in ("lifetimes", "mpmath", "numpy", "scipy", "pandas", "autograd", "dill", "python-dateutil", "tzdata")))
    return v


class JobTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise JobTimeout("no result within %d s" % JOB_TIMEOUT)


JOB_TIMEOUT = 240  # safety net only: no case of the committed fixtures comes near it


def _worker(job):
    import signal

    kind, model, params, name, inputs, label = job
    tol = REL_TOL_NORMAL if kind == "normal" else REL_TOL_EXTREME
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(JOB_TIMEOUT)
    try:
        return ("ok", build_case(model, params, name, inputs, tol, label))
    except (NotConverged, mp.libmp.NoConvergence, ZeroDivisionError, ValueError, JobTimeout) as e:
        return ("dropped", {"model": model, "params": [float(p) for p in params], "inputs": inputs, "label": label,
                            "reason": "%s: %s" % (type(e).__name__, str(e)[:300])})
    finally:
        signal.alarm(0)


def run_jobs(jobs, processes):
    if processes > 1:
        import multiprocessing as mpc

        with mpc.get_context("fork").Pool(processes) as pool:
            return pool.map(_worker, jobs, chunksize=1)
    return [_worker(j) for j in jobs]


def summarize_failures(cases):
    per = {}
    for c in cases:
        d = per.setdefault(c["model"], {"cases": 0, "cases_with_failure": 0, "by_quantity": {}})
        d["cases"] += 1
        if "lifetimes_failures" in c:
            d["cases_with_failure"] += 1
            for k, v in c["lifetimes"].items():
                if v is None:
                    d["by_quantity"][k] = d["by_quantity"].get(k, 0) + 1
    return per


def summarize_disagreements(cases, rel=1e-6):
    per = {}
    for c in cases:
        for k, v in c["lifetimes"].items():
            m = c["mpmath"].get(k)
            if v is None or m is None:
                continue
            d = abs(v - m) / max(abs(m), 1e-300)
            if d > rel:
                e = per.setdefault(c["model"], {})
                e[k] = e.get(k, 0) + 1
    return per


def main():
    t_start = time.time()
    processes = 2
    rng = np.random.default_rng(SEED)
    jobs = []
    for model, params, inputs, label in reference_cases():
        jobs.append(("normal", model, params, "published" if params == PUBLISHED[model] else "reference", inputs, label))
    for model in MODELS:
        sets = [("published", PUBLISHED[model]), ("random_1", random_params(rng, model)), ("random_2", random_params(rng, model))]
        for name, params in sets:
            for _ in range(CASES_PER_SET):
                jobs.append(("normal", model, params, name, random_inputs(rng, model), None))
    n_normal = len(jobs)
    for model, params, inputs, label in extreme_inputs():
        jobs.append(("extreme", model, params, "extreme", inputs, label))
    # the slow (BG/NBD family, extreme) jobs first, so the two workers finish together
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i][0] != "extreme", jobs[i][1] not in ("bg_nbd", "mbg_nbd"), i))
    res = run_jobs([jobs[i] for i in order], processes)
    results = [None] * len(jobs)
    for i, r in zip(order, res):
        results[i] = r
    t_cases = time.time() - t_start

    def split(rs):
        cases, dropped = [], []
        for status, v in rs:
            (cases if status == "ok" else dropped).append(v)
        for c in cases:
            c.pop("_seconds", None)
        return cases, dropped

    slow = sorted((r[1].get("_seconds", 0), r[1]["model"], r[1].get("label") or r[1]["param_set"]) for r in results if r[0] == "ok")[-8:]
    print("slowest cases (s, model, label):", [(round(a, 1), b, c) for a, b, c in slow])
    normal, normal_dropped = split(results[:n_normal])
    extreme, extreme_dropped = split(results[n_normal:])
    t0 = time.time()
    fits = run_fits()
    t_fits = time.time() - t0
    vers = versions()

    common_notes = (
        "Inputs: x = frequency, t_x = recency, T = age, t = horizon; params bg_nbd/mbg_nbd [r, alpha, a, b], pareto_nbd"
        " [r, alpha, s, beta], gamma_gamma [p, q, v], bg_bb [alpha, beta, gamma, delta]. Keys: p_alive ="
        " conditional_probability_alive(x, t_x, T); conditional_expected = E[Y(t)|x,t_x,T]; expected = E[X(t)] for a new"
        " customer; pmf = P(X(t) = n) with the count in 'n'; dert = discounted expected residual transactions with the"
        " discount in 'delta' (continuous rate per time unit for bg_nbd/mbg_nbd/pareto_nbd: DERT = int_0^inf e^{-delta t}"
        " dE[Y(t)|...]; discrete rate per period for bg_bb: sum_{k>=1} (1+delta)^{-k} P(transaction at n+k|...));"
        " log_likelihood = per-customer log-likelihood at the case's parameters (FORMULAS.md; for gamma_gamma the log"
        " density of m_x, only for x >= 1; for bg_bb ln L of FORMULAS.md 2.4). gamma_gamma cases have x, m_x and"
        " expected_spend = (v + m_x x) p / (p x + q - 1)."
        " BG/BB: 'T' holds the number n of transaction opportunities, 't' the number n* of future opportunities, 'n' the"
        " count of the pmf (P(X(t) = n), the first t opportunities of a new customer), 'm' the look-ahead of"
        " p_alive_at_n_plus_m. lifetimes' BetaGeoBetaBinomFitter.conditional_probability_alive(m, x, t_x, n) is"
        " P(alive at opportunity n+m | x, t_x, n) = B(alpha+x, beta+n-x)/B(alpha,beta) * B(gamma, delta+n+m)/B(gamma,delta) / L"
        " (m = 0: alive at n; m = 1: FORMULAS.md's P(alive at n+1), stored as 'p_alive' from lifetimes with m = 1);"
        " its conditional_expected_number_of_purchases_up_to_time(m, x, t_x, n) is E[X(n, n+m) | x, t_x, n] (FORMULAS.md"
        " 2.4, Eq. 13 of the paper), called with m = t; lifetimes has no E[X(t)] for BG/BB (so no 'expected' in"
        " 'lifetimes'); its pmf is expected_number_of_transactions_in_first_n_periods(t) evaluated with a one-row data"
        " frame (frequency = n, weight 1). lifetimes' BG/BB likelihood adds 1e-15 to the sum over i before dividing by"
        " B(alpha,beta) B(gamma,delta), i.e. L_lifetimes = L + 1e-15/(B(alpha,beta) B(gamma,delta)); whenever L is not"
        " large against that term (long histories, large x) every lifetimes BG/BB quantity that divides by L (p_alive,"
        " p_alive_at_n_plus_m, conditional_expected, log_likelihood) is wrong, and mpmath is right."
        " lifetimes has no DERT, and no unconditional pmf for Pareto/NBD; pareto_nbd 'pmf' (mpmath only) is"
        " P(X(t)=n) = NB(n;t) (beta/(beta+t))^s + s beta^s int_0^t NB(n;tau) (beta+tau)^{-(s+1)} dtau (NB = gamma-Poisson"
        " pmf), derived by mixing the exponential lifetime over Gamma(s, beta) (not in FORMULAS.md)."
        " A lifetimes value that is NaN, +-inf, a probability outside [0, 1], a negative expectation, or an exception is"
        " null in 'lifetimes' and described in 'lifetimes_failures'. mpmath: closed forms at mp.dps = 50, each checked"
        " against an independent evaluation (quadrature of the posterior-mixing integral vs hyp2f1 for E[Y(t)] and E[X(t)],"
        " Meijer-G closed form vs p-integral for the BG/NBD-family DERT, integral form vs hyp2f1 case split for the"
        " Pareto/NBD likelihood, expint vs hyperu vs quadrature for the Pareto/NBD DERT, betainc vs finite sum for the"
        " NBD tail, gamma-ratio closed forms vs direct sums for BG/BB, hyp2f1 vs direct sum for the BG/BB DERT); a case"
        " whose two methods differ by more than %s relative is dropped. Numbers are the doubles nearest to the 50-digit"
        " values (a value below the double range is 0.0)."
    )

    fail_normal = summarize_failures(normal)
    dis_normal = summarize_disagreements(normal)
    normal_doc = {
        "generator": "scripts/model_fixtures.py",
        "versions": vers,
        "seed": SEED,
        "notes": (common_notes % "1e-15") + (
            " Normal cases: for each model random points at 3 parameter sets (param_set 'published' = REFERENCES.md MLE,"
            " 'random_1'/'random_2' log-uniform in [0.05, 20], q > 1), plus the REFERENCES.md points ('label')."
            " lifetimes failures per model: %s. Cases where a non-null lifetimes value differs from mpmath by more than"
            " 1e-6 relative, per model and quantity: %s. Dropped cases: %d." % (
                json.dumps({k: "%d of %d" % (v["cases_with_failure"], v["cases"]) for k, v in fail_normal.items()}),
                json.dumps(dis_normal), len(normal_dropped))),
        "lifetimes_failure_summary": fail_normal,
        "disagreement_summary_rel_1e-6": dis_normal,
        "dropped": normal_dropped,
        "cases": normal,
    }
    fail_ext = summarize_failures(extreme)
    dis_ext = summarize_disagreements(extreme)
    extreme_doc = {
        "generator": "scripts/model_fixtures.py",
        "versions": vers,
        "seed": SEED + 1,
        "notes": (common_notes % "1e-13") + (
            " Extreme cases: hand-picked hard points ('label' says what is hard) plus seeded random ones (parameters"
            " log-uniform in [1e-3, 1e3], x in {0, 1, 10, ..., 1e5}, T log-uniform in [0.5, 1e4], t_x in {0, T, uniform},"
            " t log-uniform in [1e-2, 1e4]; BG/BB n in {10, 100, 300, 1000}). mpmath's hyp2f1 is not trustworthy for"
            " large parameters: it hangs for parameters ~1e5, and 2F1(r+x, a-1; a+b+x-1; -1) (the Pfaff form) came out"
            " wrong (1e4-1e5 instead of 1.154) for x >= 7000 (caught by the cross-check). So for 2F1 parameters beyond %s"
            " E[Y(t)] is the 40-digit posterior-mixing quadrature checked against a second quadrature in another"
            " variable, and the Pareto/NBD likelihood integral is checked by a second quadrature instead of hyp2f1. lifetimes failed"
            " (null values) in: %s; by quantity: %s. Non-null lifetimes values off by more than 1e-6 relative: %s."
            " Dropped cases (the two mpmath methods disagreed or did not converge): %d, listed in 'dropped'." % (
                mp.nstr(HYP_MAX, 5),
                json.dumps({k: "%d of %d cases" % (v["cases_with_failure"], v["cases"]) for k, v in fail_ext.items()}),
                json.dumps({k: v["by_quantity"] for k, v in fail_ext.items()}),
                json.dumps(dis_ext), len(extreme_dropped))),
        "lifetimes_failure_summary": fail_ext,
        "disagreement_summary_rel_1e-6": dis_ext,
        "dropped": extreme_dropped,
        "cases": extreme,
    }
    fits_doc = {
        "generator": "scripts/model_fixtures.py",
        "versions": vers,
        "seed": SEED,
        "notes": (
            "lifetimes 0.11.3 maximum-likelihood fits. params in the orders of 'param_names'. log_likelihood_total ="
            " sum of the per-customer log-likelihoods (FORMULAS.md 2.1-2.5; BG/BB weighted by 'weights'; Gamma-Gamma = log"
            " density of m_x) evaluated with mpmath (50 digits) at the fitted params, in the data's own units (weeks)."
            " lifetimes_negative_log_likelihood_ is the attribute lifetimes stores, whose meaning differs per fitter"
            " (see *_meaning); lifetimes_log_likelihood_total_converted turns it into the same total (it agrees with"
            " log_likelihood_total to ~1e-12 relative). fit_seconds = wall-clock time of the .fit call on this machine"
            " (not deterministic)."),
        "fits": fits,
    }
    for path, doc in ((OUT_NORMAL, normal_doc), (OUT_EXTREME, extreme_doc), (OUT_FITS, fits_doc)):
        with open(path, "w") as fh:
            json.dump(doc, fh, indent=1, allow_nan=False)
            fh.write("\n")
    print("normal: %d cases (%d dropped); extreme: %d cases (%d dropped); cases %.0f s, fits %.0f s, total %.0f s" % (
        len(normal), len(normal_dropped), len(extreme), len(extreme_dropped), t_cases, t_fits, time.time() - t_start))


if __name__ == "__main__":
    main()
