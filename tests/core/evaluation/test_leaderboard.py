"""The Bradley-Terry leaderboard recovers a known ranking, with uncertainty and ties."""

from __future__ import annotations

import math
import random

import pytest

from genloom.core.evaluation.judgements import Judgement, JudgementEntry
from genloom.core.evaluation.leaderboard import fit_bradley_terry, leaderboard, outcomes_of
from genloom.sdk.errors import ParameterError

TRUE_STRENGTHS = {"euler": 1.2, "ddim": 0.6, "dpm": 0.0, "pndm": -0.7, "lms": -1.5}


def _entry(position: int, scheduler: str, preferred: bool, model: str = "m") -> JudgementEntry:
    return JudgementEntry(position, None, preferred, "image", "image.text_to_image", model,
                          {"scheduler": scheduler})


def _simulated(n: int, seed: int, ways: int = 2) -> list[Judgement]:
    """``n`` judgements of ``ways`` settings each; the choice follows Bradley-Terry
    (for more than two: Plackett-Luce's first pick, the same model's multi-way form)."""
    rng = random.Random(seed)
    names = list(TRUE_STRENGTHS)
    judgements = []
    for k in range(n):
        shown = rng.sample(names, ways)
        weights = [math.exp(TRUE_STRENGTHS[s]) for s in shown]
        best = rng.choices(range(ways), weights)[0]
        entries = tuple(_entry(i, s, i == best) for i, s in enumerate(shown))
        judgements.append(Judgement(k + 1, float(k), False, "", entries))
    return judgements


@pytest.mark.parametrize("ways", [2, 4])
def test_the_fit_recovers_a_known_ranking(ways):
    board = leaderboard(_simulated(1500, seed=7, ways=ways), "setting")
    assert [row.setting["scheduler"] for row in board] == list(TRUE_STRENGTHS)
    # the gaps are found too: each within three standard errors of the truth
    top = board[0]
    for row in board[1:]:
        found = (top.score - row.score) / (400 / math.log(10))
        truth = TRUE_STRENGTHS["euler"] - TRUE_STRENGTHS[row.setting["scheduler"]]
        sigma = math.hypot(top.error, row.error) / (400 / math.log(10))
        assert abs(found - truth) < 3 * sigma, row
    assert all(row.error > 0 for row in board)


def test_more_judgements_mean_less_uncertainty():
    few = leaderboard(_simulated(60, seed=3), "setting")
    many = leaderboard(_simulated(1200, seed=3), "setting")
    assert max(r.error for r in many) < min(r.error for r in few)
    assert sum(r.judgements for r in many) == 2 * 1200


def test_a_multi_way_choice_counts_as_preferred_over_each_other():
    entries = (_entry(0, "euler", False), _entry(1, "ddim", True), _entry(2, "dpm", False),
               _entry(3, "lms", False))
    judgement = Judgement(1, 0.0, False, "", entries)
    assert outcomes_of(judgement) == [(1, 0, 1.0), (1, 2, 1.0), (1, 3, 1.0)]
    board = {row.setting["scheduler"]: row for row in leaderboard([judgement], "setting")}
    assert board["ddim"].wins == 3 and board["ddim"].losses == 0
    assert all(board[s].losses == 1 and board[s].wins == 0 for s in ("euler", "dpm", "lms"))
    assert board["ddim"].score > board["euler"].score == pytest.approx(board["lms"].score)


def test_ties_pull_scores_together():
    tie = Judgement(1, 0.0, True, "", (_entry(0, "euler", False), _entry(1, "ddim", False)))
    assert outcomes_of(tie) == [(0, 1, 0.5)]
    board = leaderboard([tie] * 5, "setting")
    assert board[0].score == pytest.approx(board[1].score)
    assert board[0].ties == 5


def test_grouping_by_model_and_generator():
    judgements = [Judgement(k, 0.0, False, "", (_entry(0, "euler", True, "big"),
                                                 _entry(1, "euler", False, "small")))
                  for k in range(1, 11)]
    by_model = leaderboard(judgements, "model")
    assert [row.model_id for row in by_model] == ["big", "small"]
    assert by_model[0].judgements == 10 and by_model[0].score > by_model[1].score
    # one generator: every pair is inside the group, so nothing to rank it against
    (only,) = leaderboard(judgements, "generator")
    assert only.wins == 0 and only.judgements == 10
    with pytest.raises(ParameterError, match="by: 'seed' is not a leaderboard grouping"):
        leaderboard(judgements, "seed")


def test_an_entry_that_never_lost_stays_finite():
    fit = fit_bradley_terry(2, [(0, 1, 1.0)] * 20)
    assert all(math.isfinite(x) for x in fit.strengths + fit.errors)
    assert fit.strengths[0] > fit.strengths[1]
