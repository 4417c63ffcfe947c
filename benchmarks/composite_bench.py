"""Time the composite-index uncertainty analysis against pymcdm, in one run.

Budget (DESIGN.md): 10,000 draws x 300 units x 20 indicators in under 1 s, and at least 50x faster
than the same draws scored one at a time by pymcdm. Each method is run through ``uncertainty()``
(best of three, setup included), then the very draws it made (``result.draws``) are scored by pymcdm
one draw at a time and ranked with pymcdm's ``rrankdata``; the two sets of rank intervals are checked
to be identical.

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


if __name__ == "__main__":
    main()
