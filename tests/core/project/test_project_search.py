"""Full-text search: prefix words, ranking, and queries that must never raise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genloom.core.project import Project


def test_search_matches_word_prefixes(project: Project) -> None:
    heart = project.add_asset(b"1", kind="image", suffix=".png", prompt="a red heart")
    project.add_asset(b"2", kind="image", suffix=".png", prompt="a red car")
    assert [a.id for a in project.search("red hea")] == [heart.id]
    assert len(project.search("RED")) == 2


def test_search_covers_prompt_text_title_notes_and_tags(project: Project) -> None:
    by_prompt = project.add_asset(b"1", kind="image", suffix=".png", prompt="alpha")
    by_text = project.add_asset(b"def beta(): pass", kind="code", suffix=".py")
    by_title = project.add_asset(b"3", kind="image", suffix=".png", title="gamma")
    by_notes = project.add_asset(b"4", kind="image", suffix=".png")
    project.set_notes(by_notes.id, "delta")
    by_tag = project.add_asset(b"5", kind="image", suffix=".png")
    project.add_tags(by_tag.id, ["epsilon"])
    for word, asset in [("alpha", by_prompt), ("beta", by_text), ("gamma", by_title),
                        ("delta", by_notes), ("epsilon", by_tag)]:
        assert [a.id for a in project.search(word)] == [asset.id], word


def test_explicit_text_is_indexed_instead_of_the_file(project: Project) -> None:
    asset = project.add_asset(b"binary-ish", kind="text", suffix=".txt", text="transcript words")
    assert [a.id for a in project.search("transcript")] == [asset.id]


def test_search_follows_edits_of_notes_and_tags(project: Project) -> None:
    asset = project.add_asset(b"1", kind="image", suffix=".png")
    project.add_tags(asset.id, ["moonlit"])
    project.set_notes(asset.id, "first draft")
    assert project.search("moonlit draft")
    project.remove_tags(asset.id, ["moonlit"])
    project.set_notes(asset.id, "")
    assert project.search("moonlit") == []
    assert project.search("draft") == []


def test_better_matches_rank_first(project: Project) -> None:
    weak = project.add_asset(b"1", kind="image", suffix=".png",
                             prompt="a long prompt that mentions a castle once among many words")
    strong = project.add_asset(b"2", kind="image", suffix=".png", prompt="castle castle",
                               title="castle")
    assert [a.id for a in project.search("castle")] == [strong.id, weak.id]


def test_search_respects_the_limit(project: Project) -> None:
    for i in range(5):
        project.add_asset(bytes([i]), kind="image", suffix=".png", prompt="same word")
    assert len(project.search("word", limit=3)) == 3


@pytest.mark.parametrize("query", [
    '"', '""', "'", "*", "red*", "*red", "NEAR", "NEAR(red heart)", "red NEAR heart", "-red",
    "red -heart", "(red", "red)", "()", "AND", "OR", "NOT", "red AND OR NOT", "^red",
    "prompt:red", "{prompt}: red", "red + heart", "_", "__", "a_b", "", "   ", "\x00", "ｒｅｄ",
    "e\u0301", "🔥",
])
def test_fts_syntax_characters_never_raise(project: Project, query: str) -> None:
    project.add_asset(b"1", kind="image", suffix=".png", prompt="a red heart")
    project.search(query)
    project.list_assets(search=query)
    project.count_assets(search=query)


def test_fts_operators_are_matched_as_words(project: Project) -> None:
    asset = project.add_asset(b"1", kind="text", suffix=".txt", prompt="NEAR the AND gate")
    assert [a.id for a in project.search("near and")] == [asset.id]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text())
def test_no_query_string_ever_raises(project: Project, query: str) -> None:
    project.search(query)
    project.count_assets(search=query)


def test_more_hits_than_one_query_binds_come_back_whole_in_rank_order(project: Project) -> None:
    """The rows of the best ids are read in chunks of bound ids; 1,234 hits span three."""
    import time

    from genloom.core.project.asset_rows import AssetRow, insert_asset_row

    stored = project.add_asset(b"one file", kind="text", suffix=".txt", prompt="seed")
    conn = project._db.connection()
    with project._db.transaction():
        for i in range(1, 1235):
            # 1 to 7 "lantern"s among filler words: the rank differs between rows.
            words = ["lantern"] * (i % 7 + 1) + ["filler"] * (i % 11 + 1)
            insert_asset_row(conn, AssetRow(kind="text", hash=stored.hash, size=stored.size,
                                            suffix=stored.suffix, path=stored.path,
                                            created=time.time() + i, prompt=" ".join(words)))
    expected = [row[0] for row in conn.execute(
        "SELECT rowid FROM asset_search WHERE asset_search MATCH 'lantern*' ORDER BY rank")]
    assert len(expected) == 1234
    found = project.search("lantern", limit=5000)
    assert [a.id for a in found] == expected
    assert all("lantern" in a.prompt for a in found)
    assert [a.id for a in project.search("lantern", limit=700)] == expected[:700]
