"""Asset records: lineage, tags, rating, notes, title, deletion and their events."""

from __future__ import annotations

import pytest

from genloom.core.project import AssetNotFoundError, Project


def test_add_asset_records_everything_given(project: Project) -> None:
    asset = project.add_asset(
        b"img", kind="image", suffix=".png", recipe={"steps": 20, "seed": 7},
        metadata={"width": 64}, prompt="a red fox", title="Fox", generator_id="image.t2i",
        model_id="tiny-sd", job_id=3, tags=[" Animals ", "FOX", "animals"])
    assert project.get_asset(asset.id) == asset
    assert (asset.kind, asset.prompt, asset.title) == ("image", "a red fox", "Fox")
    assert asset.recipe == {"steps": 20, "seed": 7}
    assert asset.metadata == {"width": 64}
    assert (asset.generator_id, asset.model_id, asset.job_id) == ("image.t2i", "tiny-sd", 3)
    assert asset.tags == ("animals", "fox")
    assert asset.rating == 0 and asset.notes == ""


def test_get_asset_of_an_unknown_id_names_the_id(project: Project) -> None:
    with pytest.raises(AssetNotFoundError, match="no asset with id 42"):
        project.get_asset(42)


def test_lineage_links_parents_and_children(project: Project) -> None:
    sketch = project.add_asset(b"sketch", kind="image", suffix=".png")
    mask = project.add_asset(b"mask", kind="image", suffix=".png")
    painted = project.add_asset(b"painted", kind="image", suffix=".png",
                                parents=[sketch.id, mask.id])
    clip = project.add_asset(b"clip", kind="video", suffix=".mp4", parents=[painted.id])
    assert [a.id for a in project.parents(painted.id)] == [sketch.id, mask.id]
    assert [a.id for a in project.children(sketch.id)] == [painted.id]
    assert [a.id for a in project.children(painted.id)] == [clip.id]
    assert project.parents(sketch.id) == []


def test_an_unknown_parent_is_refused_and_nothing_is_stored(project: Project) -> None:
    with pytest.raises(AssetNotFoundError, match="no asset with id 99"):
        project.add_asset(b"child", kind="image", suffix=".png", parents=[99])
    assert project.count_assets() == 0
    assert project.check().ok


def test_tags_are_normalised_added_and_removed(project: Project) -> None:
    asset = project.add_asset(b"a", kind="image", suffix=".png", tags=["Draft"])
    asset = project.add_tags(asset.id, ["  Hero Shot ", "draft"])
    assert asset.tags == ("draft", "hero shot")
    asset = project.remove_tags(asset.id, ["DRAFT", "never-had-it"])
    assert asset.tags == ("hero shot",)


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b"])
def test_an_empty_or_control_character_tag_is_refused(project: Project, bad: str) -> None:
    asset = project.add_asset(b"a", kind="image", suffix=".png")
    with pytest.raises(ValueError, match="tag"):
        project.add_tags(asset.id, [bad])


def test_a_single_string_for_tags_is_refused_with_the_fix(project: Project) -> None:
    asset = project.add_asset(b"a", kind="image", suffix=".png")
    with pytest.raises(TypeError, match=r"pass \['hero'\] for one tag"):
        project.add_tags(asset.id, "hero")


def test_all_tags_counts_assets_per_tag_and_forgets_unused_ones(project: Project) -> None:
    a = project.add_asset(b"a", kind="image", suffix=".png", tags=["sky", "sea"])
    project.add_asset(b"b", kind="image", suffix=".png", tags=["sky"])
    assert project.all_tags() == [("sky", 2), ("sea", 1)]
    project.remove_tags(a.id, ["sea"])
    assert project.all_tags() == [("sky", 2)]


def test_rating_notes_and_title_are_set(project: Project) -> None:
    asset = project.add_asset(b"a", kind="image", suffix=".png")
    assert project.set_rating(asset.id, 5).rating == 5
    assert project.set_notes(asset.id, "use for the poster").notes == "use for the poster"
    assert project.set_title(asset.id, "Poster").title == "Poster"
    assert project.get_asset(asset.id).rating == 5


@pytest.mark.parametrize("rating", [-1, 6, 2.5, True])
def test_a_rating_outside_0_to_5_is_refused_showing_it(project: Project, rating: object) -> None:
    asset = project.add_asset(b"a", kind="image", suffix=".png")
    with pytest.raises(ValueError, match=rf"rating: {rating!r} is not a rating; use 0"):
        project.set_rating(asset.id, rating)  # type: ignore[arg-type]


def test_changing_an_unknown_asset_raises_not_found(project: Project) -> None:
    with pytest.raises(AssetNotFoundError):
        project.set_rating(5, 3)
    with pytest.raises(AssetNotFoundError):
        project.add_tags(5, ["x"])


def test_delete_removes_row_links_tags_search_entry_and_file(project: Project) -> None:
    parent = project.add_asset(b"p", kind="image", suffix=".png")
    asset = project.add_asset(b"gone soon", kind="image", suffix=".png", parents=[parent.id],
                              tags=["temp"], prompt="unique zebra")
    path = project.asset_path(asset)
    project.delete_asset(asset.id)
    with pytest.raises(AssetNotFoundError):
        project.get_asset(asset.id)
    assert not path.exists()
    assert project.children(parent.id) == []
    assert project.all_tags() == []
    assert project.search("zebra") == []
    assert project.check().ok


def test_delete_keeps_a_file_another_asset_still_uses(project: Project) -> None:
    first = project.add_asset(b"shared", kind="image", suffix=".png")
    second = project.add_asset(b"shared", kind="image", suffix=".png")
    project.delete_asset(first.id)
    assert project.asset_path(second).read_bytes() == b"shared"
    project.delete_asset(second.id)
    assert not project.asset_path(second).exists()


def test_delete_of_an_unknown_asset_raises_not_found(project: Project) -> None:
    with pytest.raises(AssetNotFoundError):
        project.delete_asset(1)


def test_asset_events_carry_the_asset_as_it_is_now(project: Project,
                                                    recorded: dict[str, list]) -> None:
    asset = project.add_asset(b"a", kind="image", suffix=".png")
    project.set_rating(asset.id, 3)
    project.add_tags(asset.id, ["x"])
    project.delete_asset(asset.id)
    assert recorded["asset_added"] == [asset]
    assert [(a.rating, a.tags) for a in recorded["asset_changed"]] == [(3, ()), (3, ("x",))]
    assert recorded["asset_deleted"] == [asset.id]
