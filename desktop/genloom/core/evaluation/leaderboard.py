"""Leaderboards from judgements: a Bradley-Terry fit with standard errors.

Each judgement becomes pairwise outcomes (:func:`outcomes_of`): the preferred entry beat
each of the others (a four-way comparison with one preferred is three wins; the others
are not ranked among themselves), and a tie is a half win each way for every pair.
Entries are grouped by generator, by model or by setting (generator + model + the
parameters that differed, :data:`GROUPINGS`); pairs inside one group carry no
information and are left out.

The fit (:func:`fit_bradley_terry`) is the Bradley-Terry model P(i beats j) =
p_i / (p_i + p_j), maximised by Newton's method over log-strengths, with every entry
also given one virtual tie against a reference of strength 1: a weak prior that keeps
an entry that never won (or never lost) finite and anchors the scale. Standard errors
come from the inverse of the Fisher information of log-strengths (with the same prior),
taken for each strength against the mean of all. Scores are on the Elo scale
(``1500 + 400 log10 p``): 200 points more means about 3:1 odds of being preferred.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    from genloom.core.evaluation.judgements import Judgement, JudgementEntry

__all__ = ["GROUPINGS", "Entry", "Fit", "fit_bradley_terry", "leaderboard", "outcomes_of"]

GROUPINGS = ("generator", "model", "setting")
ELO_BASE = 1500.0
ELO_SCALE = 400.0 / math.log(10.0)
_PRIOR_GAMES = 1.0


@dataclass(frozen=True)
class Entry:
    """One leaderboard row. ``score`` and ``error`` (one standard error) in Elo points."""

    key: tuple[str, str, str]
    generator_id: str
    model_id: str
    setting: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    score: float = ELO_BASE
    error: float = 0.0
    judgements: int = 0
    wins: float = 0.0
    losses: float = 0.0
    ties: int = 0


@dataclass(frozen=True)
class Fit:
    """Log-strengths (natural log) and their standard errors, one per item."""

    strengths: tuple[float, ...]
    errors: tuple[float, ...]
    iterations: int


def outcomes_of(judgement: Judgement) -> list[tuple[int, int, float]]:
    """``(i, j, w)`` for the entries' positions: w = 1 when i was preferred to j, 0.5 a tie."""
    entries = judgement.entries
    if judgement.tie:
        return [(a.position, b.position, 0.5)
                for n, a in enumerate(entries) for b in entries[n + 1:]]
    best = judgement.preferred
    if best is None:
        return []
    return [(best.position, other.position, 1.0) for other in entries if other is not best]


def fit_bradley_terry(items: int, outcomes: Iterable[tuple[int, int, float]], *,
                      tolerance: float = 1e-10, max_iterations: int = 100) -> Fit:
    """Fit Bradley-Terry strengths for ``items`` from ``(i, j, w)`` outcomes (``w`` the
    share of the game ``i`` won: 1, or 0.5 for a tie), by Newton's method.

    The log-likelihood with the prior is strictly concave, so Newton converges from
    zero in a handful of steps (each step is also capped, for safety far from the
    optimum). Errors are those of each strength against the mean of all, so the level
    the prior sets (shared by every entry) does not blur the ranking's uncertainty.
    """
    import numpy as np

    games = np.zeros((items, items))
    wins = np.full(items, 0.5 * _PRIOR_GAMES)  # the virtual tie against the reference
    for i, j, w in outcomes:
        if i == j:
            continue
        games[i, j] += 1.0
        games[j, i] += 1.0
        wins[i] += w
        wins[j] += 1.0 - w
    theta = np.zeros(items)
    information = np.zeros((items, items))
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - reported in the Fit
        win_chance = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))  # P(i beats j)
        reference = 1.0 / (1.0 + np.exp(-theta))
        gradient = wins - (games * win_chance).sum(axis=1) - _PRIOR_GAMES * reference
        pair = games * win_chance * (1.0 - win_chance)
        information = -pair
        np.fill_diagonal(information, pair.sum(axis=1) + _PRIOR_GAMES * reference * (1 - reference))
        step = np.linalg.solve(information, gradient) if items else np.zeros(0)
        theta = theta + np.clip(step, -4.0, 4.0)
        if not items or np.max(np.abs(step)) < tolerance:
            break
    if items:
        covariance = np.linalg.inv(information)
        contrast = np.eye(items) - 1.0 / items  # each strength minus the mean
        errors = np.sqrt(np.clip(np.diag(contrast @ covariance @ contrast.T), 0.0, None))
    else:
        errors = np.zeros(0)
    return Fit(tuple(float(x) for x in theta), tuple(float(x) for x in errors), iteration)


def leaderboard(judgements: Sequence[Judgement], by: str = "setting", *,
                generator_id: str | None = None) -> list[Entry]:
    """The entries ranked by score (best first), grouped ``by`` one of :data:`GROUPINGS`;
    ``generator_id`` keeps only that generator's entries."""
    if by not in GROUPINGS:
        raise ParameterError("by", by, "is not a leaderboard grouping",
                             f"use one of {', '.join(GROUPINGS)}")
    index: dict[tuple[str, str, str], int] = {}
    first: list[JudgementEntry] = []
    counted: list[set[int]] = []
    tallies: list[list[float]] = []  # wins, losses, ties
    outcomes: list[tuple[int, int, float]] = []
    for judgement in judgements:
        slots = {}
        for entry in judgement.entries:
            if generator_id is not None and entry.generator_id != generator_id:
                continue
            key = _key(entry, by)
            if key not in index:
                index[key] = len(first)
                first.append(entry)
                counted.append(set())
                tallies.append([0.0, 0.0, 0.0])
            slots[entry.position] = index[key]
            counted[index[key]].add(judgement.id)
        for i, j, w in outcomes_of(judgement):
            if i not in slots or j not in slots or slots[i] == slots[j]:
                continue
            a, b = slots[i], slots[j]
            outcomes.append((a, b, w))
            if w == 0.5:
                tallies[a][2] += 1
                tallies[b][2] += 1
            else:
                tallies[a][0] += 1
                tallies[b][1] += 1
    fit = fit_bradley_terry(len(first), outcomes)
    rows = []
    for key, slot in index.items():
        entry = first[slot]
        rows.append(Entry(
            key=key, generator_id=entry.generator_id,
            model_id=entry.model_id if by != "generator" else "",
            setting=entry.setting if by == "setting" else {},
            label=_label(entry, by),
            score=ELO_BASE + ELO_SCALE * fit.strengths[slot],
            error=ELO_SCALE * fit.errors[slot], judgements=len(counted[slot]),
            wins=tallies[slot][0], losses=tallies[slot][1], ties=int(tallies[slot][2])))
    return sorted(rows, key=lambda row: (-row.score, row.label))


def _key(entry: JudgementEntry, by: str) -> tuple[str, str, str]:
    if by == "generator":
        return (entry.generator_id, "", "")
    if by == "model":
        return (entry.generator_id, entry.model_id, "")
    return (entry.generator_id, entry.model_id, entry.setting_label)


def _label(entry: JudgementEntry, by: str) -> str:
    name = entry.generator_id or "(imported)"
    if by == "generator":
        return name
    name += f" / {entry.model_id or '(no model)'}"
    if by == "setting":
        name += f" / {entry.setting_label or '(same settings)'}"
    return name
