"""innostudy.policy against its peers, side by side in one run: time, ratio and peak memory.

* twfe and event_study against pyfixest's ``feols`` (CRV1 by unit), 3,000 and 30,000 units × 20
  years (simulated panels: 3 cohorts of 10 % of the units each, the rest never treated);
* att_gt (doubly robust, never-treated comparison, analytic SEs) against diff-diff's
  ``CallawaySantAnna`` and moderndid's ``att_gt`` on R did's mpdta (500 counties × 5 years) and
  the simulated 3,000 and 30,000 units × 20 years;
* placebo (1,000 reassignments, 300 units × 15 years) against refitting twfe per reassignment;
* the staggered-robust estimators (issue 13) on mpdta and the simulated 3,000 units: sun_abraham
  against pyfixest's saturated event study and diff-diff's ``SunAbraham``; imputation against
  pyfixest's ``did2s`` and diff-diff's ``ImputationDiD``; ``att_gt(bootstrap=999)`` against
  moderndid's ``att_gt(boot=True)``; and (100 simulated units only: 58 s per run on mpdta's
  500 clusters) ``twfe(inference="wild")`` against wildboottest on statsmodels OLS with unit
  and year dummies (999 draws, Webb weights); honest (smoothness, M = 0.01, optimal FLCI, on
  the event study) against diff-diff's optimal FLCI; honest (relative magnitudes, M̄ = 1, the
  ARP hybrid test) against moderndid's ``compute_conditional_cs_rm`` on the same grid.

How: every estimate is first checked against the peer's (same numbers) and every callable is
run once before timing (imports, numba JIT of pyfixest, caches: outside the timed region). Then
ours and the peers' runs are interleaved (the order rotates per repeat) and the median of the
repeats is reported; ratio = peer / ours (> 1: innostudy faster). Ours includes building the
``Panel`` (validation) from the data frame, as a peer's call includes its own checks. One
thread for every library (the variables in ``THREADS``, set before numpy is imported).
Peak memory: a fresh subprocess imports the library, builds the data, warms up on a small panel,
resets its peak resident set (Linux /proc/self/clear_refs), then fits once: "peak RSS" is the
process's peak during that fit, "+fit" its growth above the resident set just before it (the
same data in both, so the difference is the libraries' working memory).

Last full run (2026-11-30, 2 cores shared with other jobs at load ~8-10, medians, ratio =
peer / innostudy; peak RSS growth during the fit): twfe vs pyfixest 0.60: 1.8× at 3,000 units
(13 vs 18 MB), 2.8× at 30,000 (100 vs 204 MB); event study 2.4× (22 vs 31 MB) and 2.7× (189 vs
337 MB); att_gt vs diff-diff 3.13 / moderndid 0.2: mpdta 1.1× / 5.4×, 3,000 units 1.3× / 16×
(9 vs 7 / 42 MB), 30,000 units 1.3× / 16× (69 vs 84 / 410 MB); placebo 339× refitting (warm;
the earlier "4534×" counted the statsmodels import in the refits).

Robust section, last run (2026-11-30, same machine, median of 3; ratio = peer / innostudy):
sun_abraham vs pyfixest / diff-diff: mpdta 3.6× / 3.0×, 3,000 units 3.4× / 4.1×; imputation vs
diff-diff: mpdta 2.6×, 3,000 units 1.3× (pyfixest did2s 94×: it iterates to tol 1e-8);
att_gt(bootstrap=999) vs moderndid: mpdta 4.7×, 3,000 units 12×; honest (M = 0.01) vs
diff-diff's FLCI: 2.2-2.6×; honest (relative magnitudes, M̄ = 1; ours tests 6 pieces, theirs
4) vs moderndid's compute_conditional_cs_rm: mpdta 110×, 3,000 units 66× (run of 2026-11-30,
load < 1); twfe(inference="wild") with intervals vs wildboottest's p-value
alone, 100 units: 65×.

Run: PYTHONPATH=src python benchmarks/policy_bench.py [--quick] [--repeat 5]
(``--quick``: the smaller sizes only, no memory subprocesses; under a minute.)
"""

import os

THREADS = {
    name: "1"
    for name in (
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMBA_NUM_THREADS",
        "RAYON_NUM_THREADS",
        "POLARS_MAX_THREADS",
    )
}
os.environ.update(THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

YEARS = range(2005, 2025)
WINDOW = (-4, 4)


def simulated(n_units: int, years=YEARS):
    """Simulated panel (labelled simulated): 3 cohorts of 10 % of the units, the rest never
    treated; ``uid`` an integer unit id for the peers, ``treated`` and binned ``rel`` for
    pyfixest (never-treated units at the reference period -1)."""
    from innostudy.policy import simulate_panel

    years = list(years)
    size = n_units // 10
    cohorts = {years[len(years) * k // 4]: size for k in (1, 2, 3)}
    df = simulate_panel(n_units=n_units, years=years, cohorts=cohorts, seed=0)
    df["uid"] = df["unit"].str[3:].astype(int)
    ever = df["cohort"] > 0
    df["treated"] = (ever & (df["year"] >= df["cohort"])).astype(float)
    df["rel"] = np.where(ever, np.clip(df["year"] - df["cohort"], *WINDOW), -1)
    return df


def mpdta():
    import moderndid

    frame = moderndid.load_mpdta().to_pandas()
    return frame.rename(columns={"countyreal": "uid", "first.treat": "cohort", "lemp": "y"})


def runners(case: str, df) -> dict:
    """The callables of one case: ``{"innostudy": fn, peer: fn, ...}``, each returning the
    estimates compared before timing."""
    from innostudy.policy import Panel, att_gt, event_study, twfe

    unit = "unit" if "unit" in df else "uid"

    def panel():
        return Panel(df, unit, "year", "cohort")

    if case in ("twfe", "event study"):
        import pyfixest as pf

        if case == "twfe":
            ours = lambda: twfe(panel(), "y", controls=["x"]).params.to_numpy()  # noqa: E731
            formula = "y ~ treated + x | uid + year"
        else:
            ours = lambda: event_study(panel(), "y", window=WINDOW).table.estimate.to_numpy()  # noqa: E731
            formula = f"y ~ i(rel, ref={-1}) | uid + year"
        peer = lambda: pf.feols(formula, data=df, vcov={"CRV1": "uid"}).coef().to_numpy()  # noqa: E731
        return {"innostudy": ours, f"pyfixest {pf.__version__}": peer}
    import diff_diff
    import moderndid

    def ours():
        return att_gt(panel(), "y", control="never", method="dr").att

    def dd():
        est = diff_diff.CallawaySantAnna(control_group="never_treated", estimation_method="dr")
        fit = est.fit(df, outcome="y", unit="uid", time="year", first_treat="cohort")
        return np.array(
            [fit.group_time_effects[k]["effect"] for k in sorted(fit.group_time_effects)]
        )

    def md():
        fit = moderndid.att_gt(data=df, yname="y", tname="year", idname="uid", gname="cohort",
                               est_method="dr", boot=False, cband=False)  # fmt: skip
        return np.asarray(fit.att_gt)

    return {"innostudy": ours, f"diff-diff {diff_diff.__version__}": dd,
            f"moderndid {moderndid.__version__}": md}  # fmt: skip


def interleaved(fns: dict, repeat: int) -> dict:
    """Median wall time per callable, runs interleaved, the order rotated per repeat."""
    names, times = list(fns), {name: [] for name in fns}
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def data_for(size):
    return mpdta() if size == "mpdta" else simulated(int(size))


def memory(case: str, size, impl: str) -> dict:
    """Peak RSS (MB) of a subprocess running one fit of ``impl`` (see the module docstring)."""
    out = subprocess.run([sys.executable, __file__, "--memory", case, str(size), impl],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def _memory_child(case: str, size: str, impl: str) -> None:
    import gc

    warnings.simplefilter("ignore")
    small = next(fn for name, fn in runners(case, simulated(300)).items() if name.startswith(impl))
    small()  # imports, JIT
    fn = next(fn for name, fn in runners(case, data_for(size)).items() if name.startswith(impl))
    gc.collect()
    try:  # reset the peak (VmHWM) to the current RSS, so that the peak is the fit's (Linux)
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        before, reset = _status("VmRSS"), True
    except OSError:
        before, reset = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, False
    fn()
    peak = _status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak": peak, "fit": peak - before}))


def bench_case(case: str, size, repeat: int, with_memory: bool) -> None:
    df = data_for(size)
    fns = runners(case, df)
    reference = None
    for name, fn in fns.items():  # warm-up, and the same numbers
        estimate = np.asarray(fn(), float)
        if reference is None:
            reference = estimate
        elif not np.allclose(estimate, reference, atol=1e-8, rtol=0):
            raise AssertionError(f"{case} {size}: {name} disagrees with innostudy")
    medians = interleaved(fns, repeat)
    ours = medians["innostudy"]
    label = f"{case}, {size if size == 'mpdta' else f'{int(size):,} units × {len(YEARS)} years'}"
    for name, seconds in medians.items():
        mem = ""
        if with_memory:
            m = memory(case, size, name.split()[0])
            mem = f"  peak RSS {m['peak']:7.0f} MB (+fit {m['fit']:5.0f} MB)"
        ratio = "" if name == "innostudy" else f"  ratio {ours and seconds / ours:5.2f}"
        print(f"{label:42s} {name:18s} {seconds * 1e3:9.1f} ms{ratio}{mem}", flush=True)


def bench_placebo(repeat: int) -> None:
    from innostudy.policy import Panel, placebo, simulate_panel, twfe

    df = simulate_panel(n_units=300, years=range(2010, 2025), seed=0)  # simulated data
    panel = Panel(df, "unit", "year", "cohort")
    draws = placebo(panel, "y", n=20, controls=["x"]).assignments

    def refit_20():
        for d in range(20):
            shuffled = df.assign(cohort=df.unit.map(draws.iloc[d]))
            twfe(Panel(shuffled, "unit", "year", "cohort"), "y", controls=["x"])

    fns = {"placebo": lambda: placebo(panel, "y", n=1000, controls=["x"]), "refit": refit_20}
    for fn in fns.values():
        fn()  # warm
    medians = interleaved(fns, repeat)
    refit = medians["refit"] / 20 * 1000
    print(f"placebo, 1,000 reassignments, 300 units × 15 years: {medians['placebo']:.3f} s; "
          f"refitting twfe per reassignment (warm, 20 timed, scaled to 1,000): {refit:.1f} s "
          f"-> ratio {refit / medians['placebo']:.0f}", flush=True)  # fmt: skip


def robust_runners(df) -> dict:
    """Each robust estimator and its peers: ``{case: {name: (fn, same)}}``, where ``fn`` is
    timed and ``same(ours_result, peer_output)`` checks that both give the same numbers."""
    import diff_diff
    import moderndid
    import pyfixest as pf
    from diff_diff.honest_did import _compute_optimal_flci

    from innostudy.policy import Panel, att_gt, event_study, honest, imputation, sun_abraham, twfe
    from innostudy.policy.honest import event_time_estimates

    unit = "unit" if "unit" in df else "uid"
    d = df.assign(treat=((df.cohort > 0) & (df.year >= df.cohort)).astype(int))
    d["rel_sa"] = np.where(d.cohort > 0, d.year - d.cohort, -1)
    panel = lambda: Panel(df, unit, "year", "cohort")  # noqa: E731
    close = lambda a, b: np.allclose(a, b, atol=1e-8, rtol=0)  # noqa: E731
    dd_args = dict(outcome="y", unit="uid", time="year", first_treat="cohort")
    cases = {
        "sun_abraham": {
            "innostudy": (lambda: sun_abraham(panel(), "y"), None),
            f"pyfixest {pf.__version__}": (
                lambda: (
                    pf.feols(
                        "y ~ i(rel_sa, cohort, ref=-1, ref2=0) | uid + year",
                        data=d,
                        vcov={"CRV1": "uid"},
                    )
                    .coef()
                    .to_numpy()
                ),  # fmt: skip
                lambda r, p: close(r.cells.sort_values(["rel_time", "cohort"]).estimate, p),
            ),
            f"diff-diff {diff_diff.__version__}": (
                lambda: diff_diff.SunAbraham().fit(df, **dd_args).overall_att,
                lambda r, p: close(r.att, p),
            ),
        },
        "imputation": {
            "innostudy": (lambda: imputation(panel(), "y"), None),
            f"pyfixest {pf.__version__} did2s": (  # mpdta: see bench_robust
                lambda: (
                    pf.did2s(
                        d,
                        yname="y",
                        first_stage="~ 0 | uid + year",
                        second_stage="~ treat",
                        treatment="treat",
                        cluster="uid",
                    )
                    .coef()
                    .to_numpy()
                ),  # fmt: skip
                lambda r, p: abs(r.att - p[0]) < 1e-4,  # its first stage demeans to tol 1e-8
            ),
            f"diff-diff {diff_diff.__version__}": (
                lambda: diff_diff.ImputationDiD().fit(df, **dd_args).overall_att,
                lambda r, p: close(r.att, p),
            ),
        },
        "att_gt bootstrap=999": {
            "innostudy": (lambda: att_gt(panel(), "y", bootstrap=999), None),
            f"moderndid {moderndid.__version__}": (
                lambda: np.asarray(
                    moderndid.att_gt(
                        data=df,
                        yname="y",
                        tname="year",
                        idname="uid",
                        gname="cohort",
                        boot=True,
                        biters=999,
                        cband=True,
                    ).att_gt
                ),  # fmt: skip
                lambda r, p: close(r.att, p),
            ),
        },
    }
    es = event_study(panel(), "y", window=(-3, 3), bin_ends=False)
    rel, beta, sigma = event_time_estimates(es)
    pre, post = rel < -1, rel >= 0
    cases["honest smoothness M=0.01"] = {
        "innostudy": (lambda: honest(es, method="smoothness", m=(0.01,)).tidy(), None),
        f"diff-diff {diff_diff.__version__}": (
            lambda: _compute_optimal_flci(
                beta[pre],
                beta[post],
                sigma,
                (rel[post] == 0).astype(float),
                int(pre.sum()),
                int(post.sum()),
                0.01,
                0.05,
            ),  # fmt: skip
            lambda r, p: (
                abs(np.diff(r[["conf_low", "conf_high"]].values[1]) - np.diff(p))[0] < 1e-5
            ),  # same length; the centre is not unique when the optimum is flat
        ),
    }
    n_pre, n_post = int(pre.sum()), int(post.sum())
    l_post = (rel[post] == 0).astype(float)
    order = np.argsort(rel)

    def moderndid_rm():  # their grid as ours: the identified set ± 20 SE, 1,000 points
        from moderndid.didhonest.delta.rm import rm

        b, s = beta[order], sigma[np.ix_(order, order)]
        ident = rm.compute_identified_set_rm(1.0, b, l_post, n_pre, n_post)
        sd = np.sqrt(l_post @ s[n_pre:, n_pre:] @ l_post)
        grid = rm.compute_conditional_cs_rm(b, s, n_pre, n_post, l_vec=l_post, m_bar=1.0,
                                            grid_lb=ident.id_lb - 20 * sd,
                                            grid_ub=ident.id_ub + 20 * sd)  # fmt: skip
        return grid["grid"][grid["accept"] > 0][[0, -1]], np.diff(grid["grid"][:2])[0]

    cases["honest relative magnitudes M̄=1"] = {
        "innostudy": (lambda: honest(es, m=(1.0,)).tidy(), None),
        f"moderndid {moderndid.__version__}": (
            moderndid_rm,  # ours contains theirs (they leave out one piece; honest_rm's docstring)
            lambda r, p: (
                r.conf_low.iloc[1] <= p[0][0] + p[1] and r.conf_high.iloc[1] >= p[0][1] - p[1]
            ),
        ),
    }
    if df["uid"].nunique() <= 100:  # wildboottest: dummies as columns, loops over clusters
        import statsmodels.formula.api as smf
        from wildboottest.wildboottest import wildboottest

        model = smf.ols("y ~ treat + C(uid) + C(year)", data=d)
        clusters = d["uid"].to_numpy()
        cases["twfe inference='wild'"] = {
            "innostudy": (
                lambda: twfe(panel(), "y", inference="wild", draws=999, weights="webb").tidy(),
                None,
            ),  # fmt: skip
            "wildboottest 0.3.2": (
                lambda: wildboottest(
                    model,
                    B=999,
                    cluster=clusters,
                    param="treat",
                    weights_type="webb",
                    seed=1,
                    show=False,
                ),  # fmt: skip
                lambda r, p: abs(r.p_value[0] - p["p-value"].iloc[0]) < 0.05,
            ),
        }
    return cases


def bench_robust(size, repeat: int) -> None:
    df = data_for(size)
    if "uid" not in df:
        df = df.assign(uid=df["unit"].str[3:].astype(int))
    label = "mpdta" if size == "mpdta" else f"{int(size):,} units × {len(YEARS)} years"
    for case, fns in robust_runners(df).items():
        if size == "mpdta":  # pyfixest 0.60's did2s vcov raises a shape error on mpdta (the
            fns = {k: v for k, v in fns.items() if "did2s" not in k}  # 2004 cohort: 1 pre-year)
        ours = fns["innostudy"][0]()
        for name, (fn, same) in fns.items():  # warm-up, and the same numbers
            if same is not None and not same(ours, fn()):
                raise AssertionError(f"{case} {size}: {name} disagrees with innostudy")
        medians = interleaved({name: fn for name, (fn, _) in fns.items()}, repeat)
        for name, seconds in medians.items():
            ratio = "" if name == "innostudy" else f"  ratio {seconds / medians['innostudy']:5.2f}"
            print(f"{case + ', ' + label:48s} {name:22s} {seconds * 1e3:9.1f} ms{ratio}",
                  flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, no memory (< 1 min)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        return _memory_child(*args.memory)
    warnings.simplefilter("ignore")  # estimator warnings (few clusters...) are not the point
    sizes = [3000] if args.quick else [3000, 30000]
    print(
        f"threads: {THREADS}; median of {args.repeat} interleaved runs after a warm-up; "
        "ratio = peer / innostudy (> 1: innostudy faster)"
    )
    for case in ("twfe", "event study"):
        for size in sizes:
            bench_case(case, size, args.repeat, not args.quick)
    for size in ["mpdta", *sizes]:
        bench_case("att_gt", size, args.repeat, not args.quick)
    bench_placebo(args.repeat)
    for size in ["mpdta", 100, 3000]:
        bench_robust(size, args.repeat)


if __name__ == "__main__":
    main()
