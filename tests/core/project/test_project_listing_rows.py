"""What listings read: the tag copy in each asset row, assets built from rows, ranked search.

The store keeps each asset's tag names in its own row (``assets.tag_list``, kept in
step with ``asset_tags`` by triggers) and builds :class:`Asset` objects from rows
without the dataclass constructor, parsing the recipe and metadata JSON on first
access. These tests hold both to what the tag tables and the public constructor say.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random
import sqlite3
from pathlib import Path

import pytest

from genloom.core.project import SCHEMA_VERSION, Asset, Project
from genloom.core.project.files import content_path, hash_bytes
from genloom.core.project.migrations import migrate, user_version
from genloom.core.project.tags import tag_names


def _truth(project: Project, asset_id: int) -> tuple[str, ...]:
    """The asset's tags as the tag tables (the source of truth) have them."""
    return tuple(tag_names(project.db.connection(), asset_id))


def _everywhere(project: Project, asset_id: int) -> list[tuple[str, ...]]:
    """The asset's tags as every way of reading assets shows them."""
    listed = [a for a in project.list_assets(limit=1000) if a.id == asset_id]
    shown = [project.get_asset(asset_id).tags, listed[0].tags]
    child = project.add_asset(f"child of {asset_id}".encode(), kind="text", suffix=".txt",
                              parents=[asset_id])
    shown.append(project.parents(child.id)[0].tags)
    project.delete_asset(child.id)
    return shown


def test_tags_in_listings_follow_add_and_remove(project: Project) -> None:
    asset = project.add_asset(b"1", kind="image", suffix=".png", tags=["Zebra", "apple"])
    assert asset.tags == ("apple", "zebra")
    assert _everywhere(project, asset.id) == [("apple", "zebra")] * 3

    project.add_tags(asset.id, ["mango", "apple"])
    assert _everywhere(project, asset.id) == [("apple", "mango", "zebra")] * 3
    project.remove_tags(asset.id, ["zebra", "not-there"])
    assert _everywhere(project, asset.id) == [("apple", "mango")] * 3
    project.remove_tags(asset.id, ["apple", "mango"])
    assert _everywhere(project, asset.id) == [()] * 3
    assert [a.id for a in project.list_assets(tag="apple")] == []


def test_a_renamed_or_deleted_tag_shows_in_every_asset_that_carries_it(project: Project) -> None:
    # No front end renames a tag yet; whoever does it in SQL gets listings that follow.
    first = project.add_asset(b"1", kind="image", suffix=".png", tags=["night", "owl"])
    second = project.add_asset(b"2", kind="image", suffix=".png", tags=["night"])
    other = project.add_asset(b"3", kind="image", suffix=".png", tags=["day"])
    with project.db.transaction() as conn:
        conn.execute("UPDATE tags SET name = 'a-night' WHERE name = 'night'")
    assert project.get_asset(first.id).tags == ("a-night", "owl")  # still sorted
    assert project.get_asset(second.id).tags == ("a-night",)
    assert project.get_asset(other.id).tags == ("day",)
    with project.db.transaction() as conn:
        conn.execute("DELETE FROM tags WHERE name = 'a-night'")  # asset_tags go by cascade
    assert [a.tags for a in project.list_assets(order="oldest")] == [("owl",), (), ("day",)]


def test_the_tag_copy_never_drifts_from_the_tag_tables(project: Project) -> None:
    rng = random.Random(5)
    words = ["red", "green", "blue", "night", "day", "x" * 100, "ünï", "a b"]
    ids = [project.add_asset(bytes([i]), kind="image", suffix=".png",
                             tags=rng.sample(words, rng.randint(0, 3))).id for i in range(12)]
    for _ in range(60):
        asset_id = rng.choice(ids)
        action = rng.random()
        if action < 0.45:
            project.add_tags(asset_id, rng.sample(words, rng.randint(1, 3)))
        elif action < 0.9:
            project.remove_tags(asset_id, rng.sample(words, rng.randint(1, 3)))
        else:
            project.delete_asset(asset_id)
            ids.remove(asset_id)
            ids.append(project.add_asset(rng.randbytes(8), kind="image", suffix=".png",
                                         tags=rng.sample(words, 2)).id)
        for listed in project.list_assets(limit=100):
            assert listed.tags == _truth(project, listed.id)
    assert sorted(a.id for a in project.list_assets(limit=100)) == sorted(ids)


def test_a_project_of_the_previous_schema_gets_its_tags_into_listings(tmp_path: Path) -> None:
    root = tmp_path / "old"
    (root / "assets").mkdir(parents=True)
    conn = sqlite3.connect(root / "genloom.db", isolation_level=None)
    migrate(conn, root, target=SCHEMA_VERSION - 1)
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [("name", "old")])
    made: dict[str, int] = {}
    for name, tags in [("tagged", ["zebra", "apple", "mango"]), ("plain", []),
                       ("one", ["apple"])]:
        data = name.encode()
        digest = hash_bytes(data)
        (root / content_path(digest, ".png")).parent.mkdir(parents=True, exist_ok=True)
        (root / content_path(digest, ".png")).write_bytes(data)
        made[name] = int(conn.execute(
            "INSERT INTO assets (kind, hash, size, suffix, path, created) VALUES (?,?,?,?,?,?)",
            ("image", digest, len(data), ".png", content_path(digest, ".png"),
             1700000000.0 + len(made))).lastrowid or 0)
        for tag in tags:  # in this order, not sorted: the copy must come out sorted
            conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (tag,))
            conn.execute("INSERT INTO asset_tags (asset_id, tag_id) "
                         "SELECT ?, id FROM tags WHERE name = ?", (made[name], tag))
    conn.close()

    with Project.open(root) as project:
        assert user_version(project.db.connection()) == SCHEMA_VERSION
        listed = {a.id: a.tags for a in project.list_assets()}
        assert listed == {made["tagged"]: ("apple", "mango", "zebra"), made["plain"]: (),
                          made["one"]: ("apple",)}
        assert [a.id for a in project.list_assets(tag="apple", order="oldest")] == \
            [made["tagged"], made["one"]]
        project.add_tags(made["plain"], ["new"])  # the triggers came with the migration
        project.remove_tags(made["tagged"], ["mango"])
        assert project.get_asset(made["plain"]).tags == ("new",)
        assert project.get_asset(made["tagged"]).tags == ("apple", "zebra")
        assert project.check().ok


def _eager(project: Project, asset_id: int) -> Asset:
    """The asset built the plain way: every column read by name, JSON parsed, the
    dataclass constructor."""
    import json

    row = project.db.connection().execute("SELECT * FROM assets WHERE id = ?",
                                          (asset_id,)).fetchone()
    return Asset(id=row["id"], kind=row["kind"], hash=row["hash"], size=row["size"],
                 path=row["path"], suffix=row["suffix"], created=row["created"],
                 title=row["title"], prompt=row["prompt"], recipe=json.loads(row["recipe"]),
                 metadata=json.loads(row["metadata"]), rating=row["rating"],
                 notes=row["notes"], tags=_truth(project, asset_id),
                 generator_id=row["generator_id"], model_id=row["model_id"],
                 job_id=row["job_id"])


def test_assets_read_from_rows_equal_ones_built_eagerly(project: Project) -> None:
    recipe = {"seed": 7, "steps": [1, 2.5], "inputs": {"image": None}, "name": "ünï"}
    made = project.add_asset(b"1", kind="image", suffix=".png", recipe=recipe,
                             metadata={"width": 64}, tags=["b", "a"], prompt="p",
                             title="t", generator_id="g", model_id="m")
    project.set_notes(made.id, "n")
    project.set_rating(made.id, 3)
    bare = project.add_asset(b"2", kind="audio", suffix=".wav")

    for asset_id in (made.id, bare.id):
        eager = _eager(project, asset_id)
        for read in (project.get_asset(asset_id),
                     next(a for a in project.list_assets() if a.id == asset_id)):
            assert type(read) is Asset
            # Field by field before anything else touches the lazy JSON fields.
            for item in dataclasses.fields(Asset):
                assert getattr(read, item.name) == getattr(eager, item.name), item.name
            assert read == eager and repr(read) == repr(eager)
            assert dataclasses.asdict(read) == dataclasses.asdict(eager)
            assert dataclasses.replace(read, rating=1) == dataclasses.replace(eager, rating=1)
            assert pickle.loads(pickle.dumps(read)) == eager
            assert copy.deepcopy(read) == eager
    assert project.get_asset(made.id).recipe == recipe
    assert project.get_asset(bare.id).metadata == {}


def test_assets_read_from_rows_are_frozen_and_parse_json_lazily_once(project: Project) -> None:
    made = project.add_asset(b"1", kind="image", suffix=".png", recipe={"seed": 1})
    listed = project.list_assets()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        listed.rating = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        listed.recipe = {}  # type: ignore[misc]
    assert listed.recipe is listed.recipe  # parsed once, then the same dict
    assert listed.recipe == {"seed": 1} == made.recipe
    with pytest.raises(AttributeError, match="no attribute 'recipes'"):
        listed.recipes  # noqa: B018 - a typo still fails as it always did


def test_a_damaged_recipe_fails_when_read_not_when_listed(project: Project) -> None:
    made = project.add_asset(b"1", kind="image", suffix=".png")
    with project.db.transaction() as conn:
        conn.execute("UPDATE assets SET recipe = '{not json' WHERE id = ?", (made.id,))
    listed = project.list_assets()[0]  # the gallery still shows the page
    assert listed.id == made.id
    with pytest.raises(ValueError):
        listed.recipe  # noqa: B018


def _old_search(project: Project, match: str, limit: int) -> list[int]:
    """What search returned before it read ids then rows: one joined query by rank."""
    rows = project.db.connection().execute(
        """WITH hits AS (SELECT rowid AS id, rank FROM asset_search
                          WHERE asset_search MATCH ? ORDER BY rank LIMIT ?)
           SELECT a.id FROM assets a JOIN hits h ON h.id = a.id ORDER BY h.rank, a.id""",
        (match, limit))
    return [row[0] for row in rows]


def _rank(project: Project, match: str) -> dict[int, float]:
    return dict(project.db.connection().execute(
        "SELECT rowid, rank FROM asset_search WHERE asset_search MATCH ?", (match,)).fetchall())


@pytest.mark.parametrize(("query", "match"), [
    ("lighthouse", '"lighthouse"*'), ("light", '"light"*'), ("red sea", '"red"* "sea"*'),
    ("tagged", '"tagged"*'),
])
def test_search_results_and_order_are_those_of_the_ranked_index(
        project: Project, query: str, match: str) -> None:
    rng = random.Random(11)
    words = ["red", "sea", "lighthouse", "lights", "fog", "harbour", "gull", "stone"]
    for i in range(80):
        prompt = " ".join(rng.choices(words, k=rng.randint(1, 14)))
        asset = project.add_asset(f"{i}".encode(), kind="image", suffix=".png", prompt=prompt,
                                  title=rng.choice(["", "lighthouse", "red"]),
                                  tags=["tagged"] if i % 7 == 0 else [])
        if i % 9 == 0:
            project.delete_asset(asset.id)
    ranks = _rank(project, match)
    for limit in (5, 200):
        found = [a.id for a in project.search(query, limit=limit)]
        assert len(found) == min(limit, len(ranks)) > 0
        assert [ranks[i] for i in found] == sorted(ranks[i] for i in found)  # best first
        old = _old_search(project, match, limit)
        # Equal ranks may come in either order; the ranked sequence and the members agree.
        assert [ranks[i] for i in found] == [ranks[i] for i in old]
        assert sorted(found) == sorted(old)


def test_a_new_project_has_its_asset_folders_and_an_old_one_still_gets_them(
        project: Project) -> None:
    folders = sorted(p.name for p in (project.path / "assets").iterdir())
    assert folders == [f"{i:02x}" for i in range(256)]
    for folder in (project.path / "assets").iterdir():
        folder.rmdir()  # as in a project made before the folders were made up front
    asset = project.add_asset(b"content", kind="image", suffix=".png")
    assert project.verified_path(asset).read_bytes() == b"content"
    assert project.check().ok
