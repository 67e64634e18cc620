"""The benchmark runner's goal summary (tests/benchmarks/_report.py) says met or not met
per figure from the ratio measured in the same run."""

from __future__ import annotations

from tests.benchmarks._report import goal_summary


def test_the_goal_summary_marks_each_figure_and_counts_them():
    goals = [{"name": "app first paint", "baseline": "bare window", "ratio": 1.1, "goal": 1.2},
             {"name": "list 200 assets", "baseline": "plain query", "ratio": 6.8, "goal": 2.0}]
    lines = goal_summary(goals).splitlines()
    assert lines[1].startswith("app first paint") and lines[1].endswith("met")
    assert lines[2].endswith("NOT MET") and "6.80x" in lines[2]
    assert lines[-1] == "1 of 2 goals met"
    assert goal_summary([]) == "no figure with a goal was measured"
