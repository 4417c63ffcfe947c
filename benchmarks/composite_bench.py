"""Time the composite-index uncertainty analysis against pymcdm, in one run.

Budget (DESIGN.md): 10,000 draws x 300 units x 20 indicators within 1.2x a plain-numpy floor and at
least 100x faster than the same draws scored one at a time by pymcdm. Each method is run through
``uncertainty()`` (best of three, setup included), then the very draws it made (``result.draws``) are
scored by pymcdm one draw at a time and ranked with pymcdm's ``rrankdata``; the two sets of rank
intervals are checked to be identical. The floor (arithmetic case) is the least any implementation
must do with the normalised table at hand: one matrix product for the scores, one argsort per draw,
the rank counts (best of three, no setup, no ties handled).

    python benchmarks/composite_bench.py [--draws 10000] [--units 300] [--indicators 20]
"""

import argparse
import time

import numpy as np
import pandas as pd
from pymcdm import normalizations
from pymcdm.helpers import rrankdata
from pymcdm.methods import TOPSIS, WSM

import innostudy.composite as cp


def table(units: int, indicators: int, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(size=(units, indicators))
    frame = pd.DataFrame(
        values,
        index=[f"unit_{i:03d}" for i in range(units)],
        columns=[f"ind_{j:02d}" for j in range(indicators)],
    )
    return frame, dict(zip(frame.columns, rng.choice([1, -1], size=indicators), strict=True))


def best_of(runs: int, func):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def peer_intervals(method, matrix, types, weights) -> pd.DataFrame:
    """Rank every draw with pymcdm, one call per draw; percentiles as in ``uncertainty()``."""
    ranks = np.array([rrankdata(method(matrix, w, types)) for w in weights])
    return pd.DataFrame(
        {
            f"{name}_rank": np.percentile(ranks, q, axis=0, method="inverted_cdf")
            for name, q in (("median", 50), ("p05", 5), ("p95", 95))
        }
    )


def numpy_floor(normalised: np.ndarray, weights: np.ndarray, chunk: int = 2_000) -> float:
    """Seconds for the bare scoring and ranking of every draw, in chunks as ``uncertainty()``."""
    units = normalised.shape[0]
    start = time.perf_counter()
    counts = np.zeros(units * units, dtype=np.int64)
    for first in range(0, len(weights), chunk):
        order = np.argsort(-(weights[first : first + chunk] @ normalised.T), axis=1)
        counts += np.bincount((order * units + np.arange(units)).ravel(), minlength=units**2)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--indicators", type=int, default=20)
    args = parser.parse_args()
    data, directions = table(args.units, args.indicators)
    types = np.array([directions[c] for c in data.columns])
    spec = cp.IndexSpec(directions=directions, outliers="none", minmax_range=(0, 1))
    print(
        f"uncertainty(): {args.draws:,} draws x {args.units} units x {args.indicators} indicators, "
        "weights +-25 %"
    )
    cases = {
        "arithmetic (min-max)": (spec, WSM(normalizations.minmax_normalization)),
        "TOPSIS (min-max)": (
            spec.replace(aggregate="topsis", topsis_normalise="minmax"),
            TOPSIS(normalizations.minmax_normalization),
        ),
    }
    for name, (case, peer) in cases.items():
        ours, result = best_of(3, lambda case=case: cp.uncertainty(data, case, n=args.draws))
        weights = result.draws[list(data.columns)].to_numpy()
        start = time.perf_counter()
        theirs = peer_intervals(peer, data.to_numpy(), types, weights)
        peer_time = time.perf_counter() - start
        same = (
            result.ranks[theirs.columns].reset_index(drop=True).astype(float).equals(theirs)
        )  # fmt: skip
        print(
            f"  {name:22s} innostudy {ours:6.3f} s   pymcdm {peer_time:7.2f} s   "
            f"ratio {peer_time / ours:6.0f}x   same rank intervals: {same}"
        )
        if case.aggregate == "arithmetic":
            normalised = cp.build(data, case).normalised.to_numpy()
            floor = min(numpy_floor(normalised, weights) for _ in range(3))
            print(
                f"  {'plain-numpy floor':22s} {floor:6.3f} s   innostudy / floor {ours / floor:5.2f}x"
            )


if __name__ == "__main__":
    main()
