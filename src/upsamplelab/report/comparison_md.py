"""The comparisons with the baseline in Markdown: per family (task, quantity) the permutation test beside Welch's,
the minimum detectable difference, the seeds the observed difference would need, the equivalence test and the
verdict (``compare``), with what each column means; and the table of means the ``--markdown-table`` option prints
above it for a results page."""
from __future__ import annotations

import math
from typing import Optional

from .compare import VERDICTS, Comparison, Family, compared_members
from .md_cells import fmt, fmt_ci, fmt_p, table
from .permutation import EXACT_SPLITS, MONTE_CARLO_SEED, MONTE_CARLO_SPLITS
from .power import MAX_SEEDS, POWER
from .stats import ALPHA
from .tasks import best_mode, metric_label

KIND_LABELS = {"final": "final", "final_eval": "final eval."}
HEADER = ["quantity", "upsampler", "Δ", "p Welch (Holm)", "p perm.", "p perm. (Holm)", "MDD", "seeds for Δ", "margin",
          "p TOST (Holm)", "verdict"]


def quantity(family: Family) -> str:
    """"FID, final eval.": the metric's label and which value of each run (the last validation, the final
    evaluation)."""
    return f"{metric_label(family.metric)}, {KIND_LABELS.get(family.kind, family.kind)}"


def seeds_text(seeds: Optional[float]) -> str:
    if seeds is None:
        return "n/a"
    return f"> {MAX_SEEDS}" if math.isinf(seeds) else str(int(seeds))


def signed(value: Optional[float]) -> str:
    return fmt(value) if value is None or not math.isfinite(value) or value < 0 else "+" + fmt(value)


def verdict_text(c: Comparison) -> str:
    """The verdict in words: "different", "equivalent within ±m", "undecided at 3 vs 3 (5 seeds per arm)"."""
    verdict = c.verdict
    if verdict is None:
        return c.note or "n/a"
    if verdict == VERDICTS[0]:
        return verdict
    if verdict == VERDICTS[1]:
        return f"different, within ±{fmt(c.margin)}"
    if verdict == VERDICTS[2]:
        return f"equivalent within ±{fmt(c.margin)}"
    return f"undecided at {c.n} vs {c.n_ref} ({needs(c)})"


def needs(c: Comparison) -> str:
    """"5 seeds per arm to find Δ", and "; 12 to show it within ±m" where the observed Δ is inside the margin."""
    text = f"{seeds_text(c.seeds_needed)} seeds per arm to find Δ"
    if c.seeds_equivalence is not None and math.isfinite(c.seeds_equivalence):
        text += f"; {seeds_text(c.seeds_equivalence)} to show it within ±{fmt(c.margin)}"
    return text


def explanation(families: list[Family]) -> str:
    """What the columns of ``comparison_table`` mean, with the smallest attainable permutation p of the study's
    usual arm sizes."""
    tested = [m.comparison for f in families for m in f.members if m.comparison.tested]
    exact = [c for c in tested if c.perm_exact]
    smallest = ""
    if exact:
        c = max(exact, key=lambda c: sum(e.perm_splits == c.perm_splits for e in exact))     # the usual arm sizes
        least = 2 / c.perm_splits
        smallest = (f" ({c.perm_splits} at {c.n} vs {c.n_ref} runs, so its smallest p is 2/{c.perm_splits} = "
                    f"{fmt(least)}" + (f": it cannot reach α = {ALPHA} there)" if least > ALPHA else ")"))
    return (f"Against the baseline, one family of comparisons per quantity. *Δ*: the upsampler's mean minus the "
            f"baseline's. *p Welch (Holm)*: Welch's two-sided t-test, Holm-adjusted over the family. *p perm.*: the "
            f"two-sided permutation test of the difference of means, exact over all C(n₁+n₂, n₁) splits of the "
            f"pooled runs{smallest}, Monte Carlo over {MONTE_CARLO_SPLITS} random splits (seed {MONTE_CARLO_SEED}) "
            f"above {EXACT_SPLITS} splits; *(Holm)*: adjusted over the same family. *MDD*: the minimum detectable "
            f"difference, the |Δ| that Welch's test at α/m (m: the tested comparisons of the family; Holm's "
            f"strictest step) detects with {POWER * 100:.0f} % power at the observed SDs and numbers of runs; "
            f"*seeds for Δ*: the runs per arm the observed Δ would need for that power (the observed SDs taken as "
            f"the true ones: with a few runs an SD is itself uncertain by a factor of several); where Δ lies inside "
            f"the margin, the verdict adds the runs per arm the equivalence test would need for the same power at "
            f"the same level. *margin*: the equivalence margin (the artifact metrics' real-vs-real bounds from "
            f"`upsamplelab.metrics.registry`, others set with `--margin NAME=VALUE`); *p TOST (Holm)*: two "
            f"one-sided Welch tests that |Δ| < margin, adjusted over the family. *Verdict*: different when p Welch "
            f"(Holm) ≤ {ALPHA}; equivalent within ±margin when p TOST (Holm) ≤ {ALPHA}; both: a real difference "
            f"smaller than the margin; neither: undecided at the runs there are, with the seeds per arm the "
            f"observed Δ would need.")


def comparison_table(families: list[Family]) -> list[str]:
    """One row per group and family, except the baseline's own."""
    rows = []
    for f, m in compared_members(families):
        c = m.comparison
        tost = "—" if c.margin is None else fmt_p(c.p_tost_holm)
        rows.append([quantity(f), f"`{m.label}`", signed(c.difference), fmt_p(c.p_holm, c.note), fmt_p(c.p_perm),
                     fmt_p(c.p_perm_holm), fmt(c.mdd), seeds_text(c.seeds_needed) if c.tested else "n/a",
                     "—" if c.margin is None else f"±{fmt(c.margin)}", tost, verdict_text(c)])
    return table(HEADER, rows, ["---", "---"] + ["--:"] * (len(HEADER) - 3) + ["---"])


def verdict_sentence(family: Family) -> Optional[str]:
    """The family's groups by verdict, with Δ (and the seeds needed where undecided)."""
    tested = [m for m in family.members if m.comparison.tested]
    if not tested:
        return None
    parts = []
    for verdict in VERDICTS:
        named = [m for m in tested if m.comparison.verdict == verdict]
        if not named:
            continue
        c = named[0].comparison
        what = {VERDICTS[0]: "different", VERDICTS[1]: f"different, within ±{fmt(c.margin)}",
                VERDICTS[2]: f"equivalent within ±{fmt(c.margin)}", VERDICTS[3]: "undecided"}[verdict]
        items = [f"`{m.label}` (Δ {signed(m.comparison.difference)}"
                 + (f"; {needs(m.comparison)}" if verdict == VERDICTS[3] else "")
                 + ")" for m in named]
        parts.append(f"{what}: {', '.join(items)}")
    return (f"*{quantity(family)}* ({len(tested)} comparison{'s' * (len(tested) != 1)} with `{family.baseline}`): "
            + "; ".join(parts) + ".")


def comparison_section(families: list[Family]) -> list[str]:
    """The explanation, the table and one verdict sentence per family; nothing without a baseline."""
    families = [f for f in families if f.baseline is not None]
    if not families:
        return []
    sentences = [s for f in families if (s := verdict_sentence(f))]
    return ([explanation(families), ""] + comparison_table(families) + [""] + [f"- {s}" for s in sentences]
            + ([""] if sentences else []))


def means_table(families: list[Family]) -> list[str]:
    """Mean ± 95 % CI of each family's quantity per group, sorted by the first family's mean (best first where the
    metric has a direction, groups without a value last); *n*: the first family's runs."""
    if not families:
        return []
    first = families[0]
    order = sorted(range(len(first.members)), key=lambda i: _rank(first.members[i].summary.mean, first.metric))
    rows = [[f"`{first.members[i].label}`", str(first.members[i].summary.n)]
            + [fmt_ci(f.members[i].summary) for f in families] for i in order]
    return table(["upsampler", "n", *map(quantity, families)], rows, ["---"] + ["--:"] * (len(families) + 1))


def _rank(mean: float, metric: str) -> tuple[bool, float]:
    if not math.isfinite(mean):
        return True, 0.0
    return False, -mean if best_mode(metric) == "max" else mean


def page_tables(families: list[Family], metrics: Optional[list[str]] = None) -> str:
    """What ``--markdown-table`` prints: per task, the means table and the comparison section of the families of
    ``metrics`` (default: every compared metric) in that order, the final evaluation before the last validation of
    each metric."""
    metrics = metrics or list(dict.fromkeys(f.metric for f in families))
    kinds = list(KIND_LABELS)[::-1]                                  # "final_eval" first
    tasks = list(dict.fromkeys(f.task for f in families))
    lines: list[str] = []
    for task in tasks:
        chosen = sorted((f for f in families if f.task == task and f.metric in metrics),
                        key=lambda f: (metrics.index(f.metric), kinds.index(f.kind)))
        if len(tasks) > 1:
            lines += [f"**{task}**", ""]
        if not chosen:
            lines += [f"No comparison of {', '.join(metrics)} in this task.", ""]
            continue
        lines += means_table(chosen) + [""] + comparison_section(chosen)
    return "\n".join(lines).rstrip() + "\n"
