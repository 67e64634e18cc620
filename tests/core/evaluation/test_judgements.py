"""Judgements: stored through core, checked, and kept consistent when assets go."""

from __future__ import annotations

import sqlite3

import pytest

from genloom.core.evaluation.judgements import JudgementError, judgements_of, settings_of
from genloom.core.evaluation.leaderboard import leaderboard
from genloom.core.project.migrations import MIGRATIONS, migrate, user_version


def _image(project, n: int, **params):
    recipe = {"generator": {"id": "image.text_to_image"}, "params": {"prompt": "a cat", **params},
              "seed": n}
    return project.add_asset(f"image {n}".encode(), kind="image", suffix=".png", recipe=recipe,
                             generator_id="image.text_to_image", model_id="image.emoji-ldm-32")


def test_a_preference_lands_a_row_with_each_entrys_setting(genloom_project):
    a = _image(genloom_project, 1, steps=10, scheduler="ddim")
    b = _image(genloom_project, 2, steps=30, scheduler="ddim")
    judgement = judgements_of(genloom_project).record([a.id, b.id], preferred=b.id, note="sharper")
    assert judgement.note == "sharper" and not judgement.tie
    assert [e.asset_id for e in judgement.entries] == [a.id, b.id]
    assert judgement.preferred is not None and judgement.preferred.asset_id == b.id
    # only what differed is the setting; the shared prompt and scheduler are not
    assert [e.setting for e in judgement.entries] == [{"steps": 10}, {"steps": 30}]
    assert judgement.entries[1].setting_label == "steps=30"
    rows = genloom_project.db.connection().execute("SELECT count(*) FROM judgement_entries").fetchone()
    assert rows[0] == 2


def test_a_tie_prefers_none(genloom_project):
    a, b, c = (_image(genloom_project, n, steps=n) for n in (1, 2, 3))
    judgement = judgements_of(genloom_project).record([a.id, b.id, c.id], preferred=None)
    assert judgement.tie and judgement.preferred is None


@pytest.mark.parametrize("case", ["one", "five", "mixed", "twice", "stranger"])
def test_bad_comparisons_are_refused_and_store_nothing(genloom_project, case):
    images = [_image(genloom_project, n, steps=n) for n in range(1, 6)]
    text = genloom_project.add_asset(b"words", kind="text", suffix=".txt")
    ids = {"one": [images[0].id], "five": [i.id for i in images],
           "mixed": [images[0].id, text.id], "twice": [images[0].id, images[0].id],
           "stranger": [images[0].id, images[1].id]}[case]
    preferred = images[4].id if case == "stranger" else ids[0]
    with pytest.raises(JudgementError) as caught:
        judgements_of(genloom_project).record(ids, preferred=preferred)
    message = str(caught.value)
    assert {"one": "compare 2 to 4", "five": "5 assets selected", "mixed": "mixes kinds",
            "twice": "listed twice", "stranger": "is not among"}[case] in message
    assert judgements_of(genloom_project).all() == []


def test_deleting_an_asset_keeps_the_judgement_and_the_leaderboard(genloom_project):
    a = _image(genloom_project, 1, steps=10)
    b = _image(genloom_project, 2, steps=30)
    store = judgements_of(genloom_project)
    store.record([a.id, b.id], preferred=b.id)
    before = leaderboard(store.all(), "setting")
    genloom_project.delete_asset(b.id)
    (judgement,) = store.all()
    assert [e.asset_id for e in judgement.entries] == [a.id, None]
    assert judgement.preferred is not None and judgement.preferred.setting == {"steps": 30}
    assert leaderboard(store.all(), "setting") == before
    assert store.of_asset(a.id) == [judgement]
    store.delete(judgement.id)
    assert store.all() == [] and genloom_project.get_asset(a.id).id == a.id  # assets stay


def test_settings_ignore_the_seed_and_list_every_differing_parameter(genloom_project):
    a = _image(genloom_project, 1, steps=10, guidance=7.5)
    b = _image(genloom_project, 2, steps=10, guidance=5.0)
    assert settings_of([a, b]) == [{"guidance": 7.5}, {"guidance": 5.0}]


def test_the_migration_adds_the_tables_to_an_older_project(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    migrate(conn, tmp_path, target=len(MIGRATIONS) - 1)
    assert user_version(conn) == len(MIGRATIONS) - 1
    migrate(conn, tmp_path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"judgements", "judgement_entries", "sweeps", "sweep_cells"} <= tables
