"""Time innostudy.policy's hot paths and compare att_gt with moderndid in the same run.

1. placebo(): 1,000 random reassignments on a simulated 300-city × 15-year panel (budget: < 2 s),
   against refitting twfe() for a few reassignments (the naive loop), scaled to 1,000.
2. att_gt() on R did's mpdta (shipped in moderndid), doubly robust, never-treated comparison,
   with the four aggregations, against moderndid.att_gt + aggte (analytic SEs); diff-diff's
   CallawaySantAnna too if it is installed.

Run: PYTHONPATH=src python benchmarks/policy_bench.py
"""

import time

import numpy as np

from innostudy.policy import Panel, att_gt, placebo, simulate_panel, twfe


def best_of(fn, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_placebo() -> None:
    df = simulate_panel(n_units=300, years=range(2010, 2025), seed=0)  # simulated data
    panel = Panel(df, "unit", "year", "cohort")
    fast = best_of(lambda: placebo(panel, "y", n=1000, controls=["x"]), repeat=3)
    ri = placebo(panel, "y", n=5, controls=["x"])
    cohorts = ri.assignments

    def refit_five():
        for draw in range(5):
            shuffled = df.assign(cohort=df.unit.map(cohorts.iloc[draw]))
            twfe(Panel(shuffled, "unit", "year", "cohort"), "y", controls=["x"])

    naive = best_of(refit_five, repeat=1) / 5 * 1000
    print(f"placebo, 1,000 reassignments, 300 units × 15 years (simulated): {fast:.3f} s "
          f"(budget 2 s: {'OK' if fast < 2 else 'OVER'})")  # fmt: skip
    print(f"  refitting twfe per reassignment, scaled to 1,000: {naive:.1f} s "
          f"-> {naive / fast:.0f}x faster")  # fmt: skip


def bench_att_gt() -> None:
    import moderndid

    mpdta = moderndid.load_mpdta()
    frame = mpdta.to_pandas()
    panel = Panel(frame, "countyreal", "year", "first.treat")
    kinds = ("simple", "group", "dynamic", "calendar")

    def ours():
        result = att_gt(panel, "lemp", control="never", method="dr")
        return [result.aggregate(kind).att for kind in kinds]

    def theirs():
        result = moderndid.att_gt(data=mpdta, yname="lemp", tname="year", idname="countyreal",
                                  gname="first.treat", est_method="dr", boot=False, cband=False)  # fmt: skip
        return [moderndid.aggte(result, type=k, boot=False, cband=False).overall_att for k in kinds]

    assert np.allclose(ours(), theirs(), atol=1e-9)
    t_ours, t_md = best_of(ours), best_of(theirs)
    print(f"att_gt + 4 aggregations on mpdta (500 counties × 5 years): innostudy {t_ours * 1e3:.1f} ms,"
          f" moderndid {moderndid.__version__} {t_md * 1e3:.1f} ms -> ratio moderndid/innostudy "
          f"{t_md / t_ours:.1f}")  # fmt: skip
    try:
        import diff_diff
    except ImportError:
        return
    estimator = diff_diff.CallawaySantAnna(control_group="never_treated", estimation_method="dr")

    def diff_diff_run():
        result = estimator.fit(frame, outcome="lemp", unit="countyreal", time="year",
                               first_treat="first.treat")  # fmt: skip
        return [result.aggregate(kind) for kind in ("simple", "group", "event_study")]

    t_dd = best_of(diff_diff_run)
    print(f"  diff-diff {diff_diff.__version__} (att_gt + 3 aggregations): {t_dd * 1e3:.1f} ms "
          f"-> ratio diff-diff/innostudy {t_dd / t_ours:.1f}")  # fmt: skip


if __name__ == "__main__":
    bench_placebo()
    bench_att_gt()
