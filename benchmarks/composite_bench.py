"""Time the composite-index uncertainty analysis against pymcdm, in one run.

Budget (DESIGN.md): 10,000 draws x 300 units x 20 indicators within 1.2x a plain-numpy floor and at
least 100x faster than the same draws scored one at a time by pymcdm. Each method is run through
``uncertainty()`` (best of three, setup included), then the very draws it made (``result.draws``) are
scored by pymcdm one draw at a time and ranked with pymcdm's ``rrankdata``; the two sets of rank
intervals are checked to be identical. The floor (arithmetic case) is the least any implementation
must do with the normalised table at hand: one matrix product for the scores, one argsort per draw,
the rank counts (best of three, no setup, no ties handled).

Memory (issue 17): peak traced (tracemalloc) and resident (ru_maxrss, each size in a fresh process)
memory of ``uncertainty()`` at 1,000, 3,000 and 10,000 units x 2,000 draws; it must grow linearly in
units and stay under 1 GB at 10,000. Time against the previous implementation (``--before REV``, the
composite.py of that commit loaded from git): medians of interleaved runs at the same size.

    python benchmarks/composite_bench.py [--draws 10000] [--units 300] [--indicators 20]
        [--before e845486] [--repeats 5] [--skip-peer]
"""

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

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


def memory_one(units: int, draws: int, indicators: int) -> dict:
    """Peak traced and resident memory of one ``uncertainty()`` call (run in a fresh process)."""
    data, directions = table(units, indicators)
    spec = cp.IndexSpec(directions=directions, outliers="none")
    cp.build(data, spec)  # imports and first-use allocations outside the measured call
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    cp.uncertainty(data, spec, n=draws)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"units": units, "traced_mb": traced / 2**20, "maxrss_mb": resident / 1024,
            "maxrss_before_mb": base / 1024}  # fmt: skip


def memory_table(draws: int, indicators: int) -> None:
    print(f"uncertainty() memory, {draws:,} draws x {indicators} indicators (fresh process each):")
    rows = []
    for units in (1_000, 3_000, 10_000):
        out = subprocess.run(
            [sys.executable, __file__, "--memory-one", str(units), "--draws", str(draws),
             "--indicators", str(indicators)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        rows.append(json.loads(out.stdout.splitlines()[-1]))
    for row in rows:
        per_unit = row["traced_mb"] / row["units"] * 1000
        print(
            f"  {row['units']:6,} units: traced peak {row['traced_mb']:7.1f} MB "
            f"({per_unit:5.1f} MB per 1,000 units), resident peak {row['maxrss_mb']:7.1f} MB "
            f"(process before the call {row['maxrss_before_mb']:6.1f} MB)"
        )
    print(
        f"  traced 10,000 / 1,000 units: {rows[-1]['traced_mb'] / rows[0]['traced_mb']:.1f}x "
        "(linear: about 10x; units x units tables: about 100x)"
    )


def load_before(rev: str):
    """The composite module of commit ``rev`` (a single composite.py), imported under another name."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(["git", "-C", str(root), "show", f"{rev}:src/innostudy/composite.py"],
                            check=True, capture_output=True, text=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "composite_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("composite_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["composite_before"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def before_after(args, data, directions) -> None:
    """Medians of interleaved runs of the previous and the present ``uncertainty()``."""
    old = load_before(args.before)
    spec_new = cp.IndexSpec(directions=directions, outliers="none", minmax_range=(0, 1))
    spec_old = old.IndexSpec(directions=directions, outliers="none", minmax_range=(0, 1))
    times = {"before": [], "now": []}
    results = {}
    pair = [("before", old, spec_old), ("now", cp, spec_new)]
    for i in range(args.repeats):  # ABBA order: neither always runs second
        for name, module, spec in pair if i % 2 == 0 else pair[::-1]:
            results.pop(name, None)
            start = time.perf_counter()
            results[name] = module.uncertainty(data, spec, n=args.draws)
            times[name].append(time.perf_counter() - start)
    before, now = statistics.median(times["before"]), statistics.median(times["now"])
    same = results["before"].ranks.equals(results["now"].ranks)
    print(
        f"  before ({args.before}) {before:6.3f} s   now {now:6.3f} s   now / before "
        f"{now / before:4.2f}   (medians of {args.repeats} interleaved runs, ABBA; fastest: "
        f"{min(times['before']):.3f} s and {min(times['now']):.3f} s; same rank intervals: {same})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--before", default="e845486", help="commit of the previous composite.py")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory-draws", type=int, default=2_000)
    parser.add_argument("--skip-peer", action="store_true", help="no pymcdm comparison")
    parser.add_argument("--memory-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_one:
        print(json.dumps(memory_one(args.memory_one, args.draws, args.indicators)))
        return
    data, directions = table(args.units, args.indicators)
    print(f"uncertainty() time, {args.draws:,} draws x {args.units} units x {args.indicators} "
          "indicators, arithmetic, weights +-25 %:")  # fmt: skip
    if args.before:
        before_after(args, data, directions)
    memory_table(args.memory_draws, args.indicators)
    if args.skip_peer:
        return
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
