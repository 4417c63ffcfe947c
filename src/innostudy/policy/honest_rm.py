"""Rambachan & Roth (2023) robust confidence sets under relative magnitudes, Δ^RM(M̄).

Δ^RM(M̄) allows each post-treatment change of the trend violation to be at most M̄ times the
largest pre-treatment change: ``|δ_{t+1} - δ_t| ≤ M̄ · max_{s<0} |δ_{s+1} - δ_s|`` for t ≥ 0
(δ_{-1} = 0 at the base period). It is the union, over the pre-period change j that is
largest and its sign, of polyhedra {δ : A_j± δ ≤ 0}; a confidence set for the union is the
union of the sets for the pieces (RR Lemma 2.2).

For one piece, θ̄ is in the set unless the Andrews, Roth & Pakes (2023) test rejects
"∃ τ_post with l'τ_post = θ̄ and A(β - τ) ≤ 0". As in R's HonestDiD (``computeConditionalCS_
DeltaRM``, method "C-LF", only the moments that involve post-period coefficients): the
statistic is the linear programme η̂ = min_τ̃ max_j (Ỹ_j - X̃_j τ̃)/σ_j; the hybrid test rejects
when η̂ exceeds the least-favourable critical value (the 1 - κ quantile of η̂ under Ỹ ~ N(0, Σ̃),
κ = α/10, 1,000 seeded draws), and otherwise compares η̂ with the 1 - (α - κ)/(1 - κ) quantile
of a normal truncated to the interval on which the optimal dual vertex stays optimal.

Written here rather than depended on: moderndid's ``didhonest`` (the test reference, in the dev
extra) needs cvxpy and its solvers and takes seconds per M̄; diff-diff 3.13's relative-
magnitudes interval is a naive FLCI (its ARP hybrid is disabled upstream); ``honestdid`` on PyPI
requires torch. The dual polytope {γ ≥ 0, γ'[σ, X̃] = e₁} does not depend on θ̄ or on the
draws, so its vertices are enumerated once per piece and every linear programme (1,000 grid
points, 1,000 draws) becomes a matrix product; the conditioning interval is then exact where R
bisects. The set's ends are the grid's (1,000 points over the identified set ± 20 standard
errors, as moderndid) refined by bisection to 1e-9 of the grid's range; where the set reaches
the grid's edge (R warns "open at one of the endpoints") the grid is widened on that side.

Where we differ from moderndid 0.2 on purpose: it leaves out the earliest pre-period change
as the location of the largest one (its loop over s stops one short after moving R's
1-based index to 0-based); R and we include it, so our sets contain moderndid's and are
wider where that change is the largest (tests/test_honest.py pins both facts).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from innostudy.policy.panel import PanelError

DRAWS = 1000  # draws for the least-favourable critical value, as R's HonestDiD
GRID = 1000  # grid points per M̄, as R's HonestDiD
WIDEN = 8  # times the searched range may double when the set reaches its edge
MAX_SUBSETS = 3_000_000  # vertex enumeration of the dual polytope: about 12 post periods


def check_layout(rel: np.ndarray) -> tuple[int, int]:
    """Numbers of leads (base -1 excluded) and of post periods; the years must run
    consecutively around the base period, as the restriction is on year-to-year changes."""
    pre, post = np.sort(rel[rel < -1]), np.sort(rel[rel >= 0])
    if len(pre) < 1:
        raise PanelError("relative magnitudes need at least one lead besides the base period -1")
    want = (np.arange(-len(pre) - 1, -1), np.arange(len(post)))
    if not (np.array_equal(pre, want[0]) and np.array_equal(post, want[1])):
        raise PanelError(f"relative magnitudes need consecutive relative years around the base "
                         f"period -1, got {rel.tolist()}")  # fmt: skip
    return len(pre), len(post)


def piece_constraints(n_pre: int, n_post: int, mbar: float, j: int, sign: int) -> np.ndarray:
    """A with Δ^RM_{j,sign}(M̄) = {δ : Aδ ≤ 0}: every pre-period change at most the change j
    (times ``sign``), every post-period change at most M̄ times it. Columns: leads, then post
    periods (the base period's δ = 0 dropped)."""
    n = n_pre + 1 + n_post  # periods, base included
    diff = np.zeros((n - 1, n))
    diff[np.arange(n - 1), np.arange(n - 1)] = -1
    diff[np.arange(n - 1), np.arange(1, n)] = 1
    largest = sign * diff[j]
    scale = np.r_[np.ones(n_pre), np.full(n_post, mbar)][:, None]
    A = np.vstack([diff - scale * largest, -diff - scale * largest])
    A = A[np.abs(A).sum(axis=1) > 1e-12]  # the change j bounding itself
    return np.delete(A, n_pre, axis=1)


def identified_set(beta, n_pre, n_post, l_post, mbar) -> tuple[float, float]:
    """Bounds of θ = l'τ_post over Δ^RM(M̄) at the estimates (RR Lemma 2.1), union of pieces;
    a piece that cannot hold at β_pre contributes l'β_post, as R does."""
    from scipy.optimize import linprog

    theta = float(l_post @ beta[n_pre:])
    objective = np.r_[np.zeros(n_pre), l_post]
    fixed = np.hstack([np.eye(n_pre), np.zeros((n_pre, n_post))])
    low, high = theta, theta
    for j, sign in itertools.product(range(n_pre), (1, -1)):
        A = piece_constraints(n_pre, n_post, mbar, j, sign)
        ends = []
        for direction in (1, -1):
            fit = linprog(direction * objective, A_ub=A, b_ub=np.zeros(len(A)), A_eq=fixed,
                          b_eq=beta[:n_pre], bounds=(None, None), method="highs")  # fmt: skip
            ends.append(direction * fit.fun if fit.status == 0 else None)
        if None not in ends:  # θ = l'β_post - l'δ_post
            low, high = min(low, theta - ends[1]), max(high, theta - ends[0])
    return low, high


def dual_vertices(W: np.ndarray) -> np.ndarray:
    """Vertices of {γ ≥ 0 : W'γ = e₁} (one per row): the basic solutions on subsets of k
    rows. The first column of W is positive, so the polytope is bounded; W has full column
    rank, since the nuisance columns come from invertible post-period differences in ± pairs
    of rows, which no positive first column is a combination of."""
    m, k = W.shape
    n_subsets = math.comb(m, k)
    if n_subsets > MAX_SUBSETS:
        raise PanelError(f"relative magnitudes: {m} moments and {k - 1} nuisance parameters "
                         f"give {n_subsets:,} candidate vertices; shorten the event window")  # fmt: skip
    target = np.zeros(k)
    target[0] = 1.0
    norms = np.linalg.norm(W, axis=0)
    found = []
    for chunk in _chunks(itertools.combinations(range(m), k), 50_000):
        rows = np.array(chunk)
        blocks = np.transpose(W[rows], (0, 2, 1))  # W_S' per subset
        ok = np.abs(np.linalg.det(blocks / norms[:, None])) > 1e-12  # columns scaled to 1
        gammas = np.linalg.solve(blocks[ok], np.broadcast_to(target[:, None], (ok.sum(), k, 1)))[
            ..., 0
        ]
        feasible = (gammas >= -1e-10).all(axis=1)
        full = np.zeros((feasible.sum(), m))
        np.put_along_axis(full, rows[ok][feasible], np.clip(gammas[feasible], 0, None), axis=1)
        found.append(full)
    vertices = np.unique(np.round(np.vstack(found), 12), axis=0)
    if not len(vertices):
        raise PanelError("relative magnitudes: the moment inequalities admit no dual vertex")
    return vertices


def _chunks(iterable, size):
    batch = list(itertools.islice(iterable, size))
    while batch:
        yield batch
        batch = list(itertools.islice(iterable, size))


class PieceTest:
    """The ARP hybrid test of θ = θ̄ for one piece Δ^RM_{j,sign}(M̄), vectorised over θ̄."""

    def __init__(self, beta, sigma, n_pre, n_post, l_post, A, alpha, seed):
        post = A[:, n_pre:]
        rows = np.abs(post).sum(axis=1) > 1e-12  # moments involving post periods only
        A, post = A[rows], post[rows]
        self.y = A @ beta
        self.cov = A @ sigma @ A.T
        sd = np.sqrt(np.diag(self.cov))
        if not sd.max() > 0 or (sd < 1e-12 * sd.max()).any():
            raise PanelError("relative magnitudes: a moment has no variance (check the covariance)")
        self.slope = post @ l_post / (l_post @ l_post)  # moves Y with θ̄
        nuisance = np.linalg.svd(l_post[None, :])[2][1:].T  # directions with l'τ = 0
        self.vertices = dual_vertices(np.column_stack([sd, post @ nuisance]))
        self.alpha, self.kappa = alpha, alpha / 10
        draws = np.random.default_rng(seed).multivariate_normal(
            np.zeros(len(self.y)), self.cov, size=DRAWS)  # fmt: skip
        self.lf_cv = float(np.quantile((draws @ self.vertices.T).max(axis=1), 1 - self.kappa))

    def accepts(self, thetas: np.ndarray) -> np.ndarray:
        """True where the hybrid test does not reject θ̄ at level alpha."""
        from scipy import stats

        thetas = np.atleast_1d(np.asarray(thetas, float))
        y = self.y[None, :] - thetas[:, None] * self.slope[None, :]
        values = y @ self.vertices.T
        best = values.argmax(axis=1)
        eta = values[np.arange(len(thetas)), best]
        gamma = self.vertices[best]
        cov_gamma = gamma @ self.cov
        var = np.einsum("ij,ij->i", cov_gamma, gamma)
        accept = eta <= self.lf_cv  # the least-favourable first stage
        degenerate = var < np.finfo(float).eps
        accept &= ~(degenerate & (eta > 0))
        live = np.flatnonzero(accept & ~degenerate)
        if len(live):
            b = cov_gamma[live] / var[live, None]
            s = y[live] - b * eta[live, None]
            vb, vs = b @ self.vertices.T, s @ self.vertices.T
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = vs / (1 - vb)
            low = np.where(vb < 1 - 1e-10, ratio, -np.inf).max(axis=1)
            high = np.where(vb > 1 + 1e-10, ratio, np.inf).min(axis=1)
            sd = np.sqrt(var[live])
            stat, zlo, zup = eta[live] / sd, low / sd, np.minimum(high, self.lf_cv) / sd
            inside = (zlo <= stat) & (stat <= zup)
            size = (self.alpha - self.kappa) / (1 - self.kappa)
            with np.errstate(invalid="ignore"):
                cut = stats.truncnorm.ppf(1 - size, zlo, zup)
            reject = inside & (stat > np.maximum(0, cut))
            accept[live[reject]] = False
        return accept


def rm_interval(rel, beta, sigma, e: int, mbar: float, alpha: float, seed: int = 0,
                grid_points: int = GRID) -> tuple[float, float]:  # fmt: skip
    """Robust confidence set for the effect at relative year ``e`` under Δ^RM(M̄): the
    hull of the union over pieces, ends refined between grid points by bisection."""
    order = np.argsort(rel)
    rel, beta, sigma = rel[order], beta[order], sigma[np.ix_(order, order)]
    n_pre, n_post = check_layout(rel)
    l_post = (np.arange(n_post) == e).astype(float)
    scale = float(np.sqrt(l_post @ sigma[n_pre:, n_pre:] @ l_post))
    if not np.isfinite(scale) or scale <= 0:
        raise PanelError(f"the estimate at e={e} has no standard error: nothing to test")
    # in units of the estimate's standard error: every tolerance below is then scale-free
    beta, sigma = beta / scale, sigma / scale**2
    low, high = identified_set(beta, n_pre, n_post, l_post, mbar)
    grid = np.linspace(low - 20, high + 20, grid_points)
    tests = [PieceTest(beta, sigma, n_pre, n_post, l_post,
                       piece_constraints(n_pre, n_post, mbar, j, sign), alpha, seed)
             for j, sign in itertools.product(range(n_pre), (1, -1))]  # fmt: skip

    def accepted(thetas):
        return np.any([t.accepts(thetas) for t in tests], axis=0)

    low, high = hull(accepted, grid, f"M̄ = {mbar}")
    return low * scale, high * scale


def hull(accepted, grid: np.ndarray, label: str = "") -> tuple[float, float]:
    """Ends of the set of θ̄ that ``accepted`` (vectorised) accepts: the first and last
    accepted points of ``grid``, each refined by bisection towards its rejected neighbour;
    where the set reaches the grid's edge, that side is widened (``WIDEN`` times at most,
    then reported as unbounded with a warning). NaN for an empty set."""
    points = len(grid)
    for widened in range(WIDEN + 1):
        inside = np.flatnonzero(accepted(grid))
        if not len(inside):
            return np.nan, np.nan
        open_low, open_high = inside[0] == 0, inside[-1] == points - 1
        if not (open_low or open_high):
            break
        if widened == WIDEN:
            warnings.warn(f"the robust set at {label} reaches [{grid[0]:.4g}, {grid[-1]:.4g}] "
                          f"after {WIDEN} widenings of the searched range; reported as unbounded",
                          stacklevel=4)  # fmt: skip
            break
        span = grid[-1] - grid[0]
        grid = np.linspace(grid[0] - span * open_low, grid[-1] + span * open_high, points)
    ends = []
    for first, step in ((inside[0], -1), (inside[-1], 1)):
        if first + step in (-1, points):
            ends.append(step * np.inf)
            continue
        yes, no = grid[first], grid[first + step]
        while abs(no - yes) > 1e-9 * (grid[-1] - grid[0]):
            mid = (yes + no) / 2
            yes, no = (mid, no) if accepted(mid)[0] else (yes, mid)
        ends.append(yes)
    return float(ends[0]), float(ends[1])
