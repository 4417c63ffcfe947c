"""The field's checklist in one call, in the order papers on China's city pilots present it.

1. baseline TWFE, built up column by column (no controls, then the controls), and the last
   column's p-value and interval by the wild cluster bootstrap (WCR, Webb weights when there
   are fewer than 12 clusters, Rademacher otherwise);
2. event study with the joint pre-trend test;
3. PSM-DiD with the covariates' balance;
4. placebo tests: random reassignment across cities, and a fake date two years early;
5. heterogeneity by group (or NBS region);
6. mechanisms: the effect on each channel;
7. competing policies: one DiD term per other programme;
8. staggered-robust estimators: Callaway-Sant'Anna (by default with the universal base
   period, so that its leads compare with the event studies' as Roth (2024) advises; R's
   ``did`` defaults to the varying one), Sun-Abraham, imputation (Borusyak, Jaravel &
   Spiess) and the Bacon decomposition;
9. HonestDiD: how the Sun-Abraham effect in the first treated year survives violations of
   parallel trends up to M̄ times the largest pre-period one (relative magnitudes).

A step the data cannot carry (no covariates for a propensity score, no grouping, units that are
not cities, ...) is skipped and the reason kept in ``.skipped``, never dropped silently.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from innostudy.policy._results import Result
from innostudy.policy.compare import compare_event_studies
from innostudy.policy.panel import Panel, PanelError
from innostudy.results import Summary, axes, finish

STEPS = ("baseline", "wild_bootstrap", "event_study", "psm_did", "placebo", "time_placebo",
         "heterogeneity", "mechanisms", "competing_policies", "callaway_santanna", "sun_abraham",
         "imputation", "bacon", "honest")  # fmt: skip


class Checklist(Result):
    """What :func:`checklist` ran: ``results`` (step → result), ``skipped`` (step → reason);
    ``tables()`` and ``figures()`` give what a report saves."""

    def __init__(self, results: dict, skipped: dict, *, y: str, simulated: bool, window=None):
        self.results, self.skipped, self.y, self.simulated = results, skipped, y, simulated
        self.window = window

    def _headline(self) -> str:
        return f"{self.y}: {len(self.results)} steps run, {len(self.skipped)} skipped"

    def _effects(self) -> list[tuple[str, object]]:
        """The (label, result) pairs that estimate the treatment effect, in checklist order."""
        r = self.results
        pairs = [(f"TWFE ({i + 1})", fit) for i, fit in enumerate(r.get("baseline", []))]
        for step, label in (("wild_bootstrap", "TWFE, wild bootstrap"), ("psm_did", "PSM-DiD"),
                            ("competing_policies", "TWFE, other policies")):  # fmt: skip
            if step in r:
                pairs.append((label, r[step]))
        if "callaway_santanna" in r:
            pairs.append(("Callaway-Sant'Anna", r["callaway_santanna"].aggregate("simple")))
        for step, label in (("sun_abraham", "Sun-Abraham"), ("imputation", "imputation (BJS)")):
            if step in r:
                pairs.append((label, r[step]))
        return pairs

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per estimate of the treatment effect (baseline, its wild bootstrap, PSM-DiD,
        competing policies, Callaway-Sant'Anna's simple aggregate, Sun-Abraham, imputation)."""
        rows = []
        for label, result in self._effects():
            t = result.tidy(alpha)
            t = t[t["term"].isin(["treated", "overall"])].iloc[:1]
            rows.append({"term": label, "estimate": t["estimate"].iloc[0],
                         "std_error": t["std_error"].iloc[0], "p_value": t["p_value"].iloc[0],
                         "conf_low": t["conf_low"].iloc[0], "conf_high": t["conf_high"].iloc[0]})  # fmt: skip
        return self._label(pd.DataFrame(rows))

    def summary(self, alpha: float = 0.05) -> Summary:
        steps = pd.DataFrame({
            "step": list(STEPS),
            "status": ["run" if s in self.results else "skipped" if s in self.skipped
                       else "not asked" for s in STEPS],
            "reason": [self.skipped.get(s, "") for s in STEPS],
        })  # fmt: skip
        return Summary(
            f"The checklist for {self.y}",
            [("steps run", len(self.results)), ("skipped", len(self.skipped))],
            [("the treatment effect, step by step", self.tidy(alpha).drop(
                columns="simulated", errors="ignore")), ("steps", steps)],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float = 0.05):
        """The treatment effect and its interval from every estimator that ran."""
        table = self.tidy(alpha)
        ax = axes(ax, figsize=(6, 0.5 * len(table) + 1.5))
        pos = np.arange(len(table))[::-1]
        err = np.vstack([table.estimate - table.conf_low, table.conf_high - table.estimate])
        ax.errorbar(table.estimate, pos, xerr=err, fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set(yticks=pos, yticklabels=table.term, xlabel=f"effect ({1 - alpha:.0%} interval)")
        return finish(ax, f"The effect on {self.y}, estimator by estimator" if title is None
                      else title, self.simulated)  # fmt: skip

    def tables(self, lang: str = "en") -> dict:
        """Regression tables (:class:`~innostudy.policy.tables.RegressionTable`) and data
        tables (DataFrames), by name, for the steps that ran."""
        from innostudy.policy.tables import table

        r, out = self.results, {}
        if "baseline" in r:
            out["baseline"] = table(r["baseline"], lang=lang)
        effects = self._effects()
        if len(effects) > 1:
            labels = [_in(lang, label) for label, _ in effects]
            out["robustness"] = table([r for _, r in effects], labels=labels, lang=lang,
                                      keep=["treated"])  # fmt: skip
        if "event_study" in r:
            out["event_study"] = table([r["event_study"]], lang=lang)
        if "psm_did" in r:
            out["psm_balance"] = r["psm_did"].balance()
        if "heterogeneity" in r:
            out["heterogeneity"] = table(r["heterogeneity"].fits, lang=lang)
            out["heterogeneity_test"] = pd.DataFrame(
                {"test": ["equal effects (interaction model, clustered F)"],
                 "result": [str(r["heterogeneity"].test)]})  # fmt: skip
        if "mechanisms" in r:
            out["mechanisms"] = table(r["mechanisms"].fits, lang=lang)
        for step in ("placebo", "time_placebo", "honest"):
            if step in r:
                out[step] = r[step].tidy()
        out["steps"] = self._label(self.summary().tables[1][1])
        return out

    def figures(self) -> dict:
        """Figures by name for the steps that ran (matplotlib Figures, not shown)."""
        names = {"event_study": "event_study", "psm_did": "psm_scores", "placebo": "placebo",
                 "time_placebo": "time_placebo", "heterogeneity": "heterogeneity",
                 "mechanisms": "mechanisms", "bacon": "bacon", "honest": "honest"}  # fmt: skip
        out = {names[s]: self.results[s].plot().figure for s in names if s in self.results}
        if "callaway_santanna" in self.results:
            out["att_dynamic"] = (
                self.results["callaway_santanna"].aggregate("dynamic").plot().figure
            )
        dynamic = {label: self.results[step] for step, label in (
            ("event_study", "TWFE event study"), ("sun_abraham", "Sun-Abraham"),
            ("imputation", "imputation (BJS)")) if step in self.results}  # fmt: skip
        if "callaway_santanna" in self.results:
            dynamic["Callaway-Sant'Anna"] = self.results["callaway_santanna"].aggregate("dynamic")
        if len(dynamic) > 1:
            out["event_studies_compared"] = compare_event_studies(
                dynamic, window=self.window
            ).figure
        out["effects"] = self.plot().figure
        return out


def checklist(panel: Panel, y: str, *, controls=(), covariates=(), by=None, channels=(),
              other_policies=None, placebo_draws: int = 500, seed: int = 0,
              window=(-4, 4), control_group: str = "never", caliper: float | None = 0.05,
              time_shift: int = 2, wild_draws: int = 9999, honest_mbar=(0, 0.5, 1, 1.5, 2),
              base_period: str = "universal") -> Checklist:  # fmt: skip
    """Run the checklist (see the module) and keep every result and every reason for a skip.

    >>> from innostudy.policy import Panel, checklist, simulate_panel
    >>> panel = Panel(simulate_panel(n_units=120, cohorts={2018: 20, 2020: 20}, seed=1),
    ...               "unit", "year", "cohort")
    >>> done = checklist(panel, "y", controls=["x"], placebo_draws=50)
    >>> sorted(done.skipped)
    ['competing_policies', 'heterogeneity', 'mechanisms', 'psm_did']
    >>> done.skipped["psm_did"]
    'no covariates given for the propensity score (covariates=...)'
    """
    from innostudy.policy.bacon import bacon
    from innostudy.policy.callaway import att_gt
    from innostudy.policy.heterogeneity import heterogeneity, mechanisms
    from innostudy.policy.honest import honest
    from innostudy.policy.imputation import imputation
    from innostudy.policy.placebo import placebo
    from innostudy.policy.psm import psm_did
    from innostudy.policy.regression import event_study, twfe
    from innostudy.policy.sunab import sun_abraham

    controls, covariates, channels = list(controls), list(covariates), list(channels)
    steps = {
        "baseline": lambda: [twfe(panel, y)] + ([twfe(panel, y, controls)] if controls else []),
        "wild_bootstrap": lambda: twfe(panel, y, controls, inference="wild", draws=wild_draws,
                                       weights="webb" if panel.n_units < 12 else "rademacher",
                                       seed=seed),
        "event_study": lambda: event_study(panel, y, window=tuple(window), controls=controls),
        "psm_did": (lambda: psm_did(panel, y, covariates, caliper=caliper, controls=controls))
        if covariates else "no covariates given for the propensity score (covariates=...)",
        "placebo": lambda: placebo(panel, y, n=placebo_draws, controls=controls, seed=seed),
        "time_placebo": lambda: placebo(panel, y, kind="time", shift=time_shift,
                                        controls=controls),
        "heterogeneity": (lambda: heterogeneity(panel, y, by, controls=controls))
        if by else "no grouping given (by=a column or 'region')",
        "mechanisms": (lambda: mechanisms(panel, channels, controls=controls))
        if channels else "no channel variables given (channels=...)",
        "competing_policies": (lambda: twfe(panel, y, controls, other_policies=other_policies))
        if other_policies is not None else "no other programmes given (other_policies=...)",
        "callaway_santanna": lambda: att_gt(panel, y, control=control_group,
                                            covariates=controls, base_period=base_period),
        "sun_abraham": lambda: sun_abraham(panel, y, window=tuple(window), controls=controls),
        "imputation": lambda: imputation(panel, y, controls=controls),
        "bacon": lambda: bacon(panel, y),
        "honest": lambda: honest(results["sun_abraham"], m=honest_mbar) if "sun_abraham" in
        results else _not_run(f"needs the Sun-Abraham event study ({skipped['sun_abraham']})"),
    }  # fmt: skip
    results, skipped = {}, {}
    for name, step in steps.items():
        if isinstance(step, str):
            skipped[name] = step
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # repeated in each summary
                results[name] = step()
        except (PanelError, ValueError) as reason:
            skipped[name] = f"not run: {reason}"
    return Checklist(results, skipped, y=y, simulated=panel.simulated, window=tuple(window))


def _not_run(reason: str):
    raise PanelError(reason)


ZH = {"TWFE": "双向固定效应", "wild bootstrap": "野聚类自助法", "other policies": "控制其他政策",
      "imputation": "插补估计"}  # fmt: skip


def _in(lang: str, label: str) -> str:
    """An estimator's column label in ``lang`` ("TWFE, wild bootstrap" -> "双向固定效应，野聚类自助法")."""
    if lang != "zh":
        return label
    for en, zh in ZH.items():
        label = label.replace(en, zh)
    return label.replace(", ", "，").replace(" (", "（").replace(")", "）")
