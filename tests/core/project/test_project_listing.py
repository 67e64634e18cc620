"""Listing and counting assets: filters, orders, pages."""

from __future__ import annotations

import pytest

from genloom.core.project import Asset, AssetCard, AssetFilter, Project
from genloom.core.project.queries import ORDERS


@pytest.fixture
def gallery(project: Project) -> dict[str, Asset]:
    made = {
        "fox": project.add_asset(b"fox", kind="image", suffix=".png", generator_id="image.t2i",
                                 model_id="sd-tiny", tags=["animal"], prompt="a fox"),
        "poem": project.add_asset(b"poem", kind="text", suffix=".txt", generator_id="text.gen",
                                  model_id="gpt-mini", prompt="a poem about a fox"),
        "owl": project.add_asset(b"owl", kind="image", suffix=".png", generator_id="image.t2i",
                                 model_id="sd-big", tags=["animal", "night"], prompt="an owl"),
        "song": project.add_asset(b"song", kind="audio", suffix=".wav", generator_id="audio.gen"),
    }
    project.set_rating(made["fox"].id, 2)
    project.set_rating(made["owl"].id, 5)
    project.set_rating(made["poem"].id, 4)
    return made


def _names(assets: list[Asset], gallery: dict[str, Asset]) -> list[str]:
    by_id = {a.id: name for name, a in gallery.items()}
    return [by_id[a.id] for a in assets]


def test_default_order_is_newest_first(project: Project, gallery: dict[str, Asset]) -> None:
    assert _names(project.list_assets(), gallery) == ["song", "owl", "poem", "fox"]


def test_oldest_order(project: Project, gallery: dict[str, Asset]) -> None:
    assert _names(project.list_assets(order="oldest"), gallery) == ["fox", "poem", "owl", "song"]


def test_rating_order_puts_the_best_first(project: Project, gallery: dict[str, Asset]) -> None:
    assert _names(project.list_assets(order="rating"), gallery) == ["owl", "poem", "fox", "song"]


def test_an_unknown_order_is_refused_listing_the_orders(project: Project) -> None:
    with pytest.raises(ValueError, match="order: 'best' is not an order; use one of newest"):
        project.list_assets(order="best")


@pytest.mark.parametrize(("filters", "expected"), [
    ({"kind": "image"}, ["owl", "fox"]),
    ({"tag": "Animal"}, ["owl", "fox"]),
    ({"tag": "night"}, ["owl"]),
    ({"min_rating": 4}, ["owl", "poem"]),
    ({"generator_id": "image.t2i"}, ["owl", "fox"]),
    ({"model_id": "gpt-mini"}, ["poem"]),
    ({"search": "fox"}, ["poem", "fox"]),
    ({"kind": "image", "search": "fox"}, ["fox"]),
    ({"kind": "image", "min_rating": 3, "tag": "animal"}, ["owl"]),
    ({"search": "   "}, ["song", "owl", "poem", "fox"]),
    ({"search": "***"}, []),
    ({"kind": "video"}, []),
])
def test_filters_combine_and_count_agrees(project: Project, gallery: dict[str, Asset],
                                          filters: dict, expected: list[str]) -> None:
    assert _names(project.list_assets(**filters), gallery) == expected
    assert project.count_assets(**filters) == len(expected)


def test_limit_and_offset_page_through(project: Project, gallery: dict[str, Asset]) -> None:
    first = project.list_assets(limit=3)
    second = project.list_assets(limit=3, offset=3)
    assert _names(first + second, gallery) == ["song", "owl", "poem", "fox"]


def test_an_unknown_kind_filter_is_refused(project: Project) -> None:
    with pytest.raises(ValueError, match="kind: 'images' is not an asset kind"):
        project.list_assets(kind="images")


def test_a_min_rating_outside_0_to_5_is_refused(project: Project) -> None:
    with pytest.raises(ValueError, match="min_rating: 9 is not a rating"):
        project.count_assets(min_rating=9)


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("filters", [
    {}, {"kind": "image"}, {"tag": "Animal"}, {"tag": "night"}, {"min_rating": 4},
    {"generator_id": "image.t2i"}, {"model_id": "gpt-mini"}, {"kind": "image", "min_rating": 3, "tag": "animal"},
    {"search": "   "}, {"search": "***"}, {"kind": "video"},
])
def test_the_filter_answers_in_python_what_the_store_answers_in_sql(
        project: Project, gallery: dict[str, Asset], filters: dict, order: str) -> None:
    """A view holding a page places a changed asset by asking the filter; it must agree with the store."""
    project.set_rating(gallery["song"].id, 4)  # a tie on rating, broken by time
    where = AssetFilter(**filters, order=order)
    everything = project.list_assets(limit=1000)
    in_python = sorted((a for a in everything if where.matches(a)), key=where.sort_key)
    assert [a.id for a in project.list_assets(where)] == [a.id for a in in_python]
    assert project.count_assets(where) == len(in_python)


def test_only_the_store_can_tell_whether_a_search_matches(project: Project, gallery: dict[str, Asset]) -> None:
    assert AssetFilter(search="fox").matches(gallery["fox"]) is None
    assert AssetFilter(kind="text", search="fox").matches(gallery["fox"]) is False  # the kind already rules it out
    assert AssetFilter(search="***").matches(gallery["fox"]) is False  # no word: nothing can match


def test_filters_come_as_an_asset_filter_or_as_keywords_not_both(project: Project) -> None:
    with pytest.raises(TypeError, match="not both .*kind="):
        project.list_assets(AssetFilter(tag="animal"), kind="image")
    with pytest.raises(ValueError, match="order: 'best' is not an order"):
        AssetFilter(order="best")


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("filters", [
    {}, {"kind": "image"}, {"tag": "night"}, {"min_rating": 4}, {"model_id": "gpt-mini"},
    {"search": "fox"}, {"search": "***"},
])
def test_cards_list_what_assets_list_with_the_same_fields(
        project: Project, gallery: dict[str, Asset], filters: dict, order: str) -> None:
    """The gallery reads cards; a card holds what its asset holds, in the same order and pages."""
    project.set_rating(gallery["song"].id, 4)
    where = AssetFilter(**filters, order=order)
    assets = project.list_assets(where)
    cards = project.list_cards(where)
    assert cards == [AssetCard.of(a) for a in assets]
    for card, asset in zip(cards, assets, strict=True):
        assert isinstance(card, AssetCard)
        assert (card.id, card.kind, card.hash, card.suffix, card.created, card.title, card.prompt,
                card.rating, card.tags) == (asset.id, asset.kind, asset.hash, asset.suffix,
                                            asset.created, asset.title, asset.prompt, asset.rating,
                                            asset.tags)
        assert where.sort_key(card) == where.sort_key(asset)
        assert project.asset_path(card) == project.asset_path(asset)
    paged = project.list_cards(where, limit=2) + project.list_cards(where, limit=2, offset=2)
    assert paged == cards


def test_a_card_of_a_crafted_row_is_refused_like_its_asset(project: Project,
                                                            gallery: dict[str, Asset]) -> None:
    from genloom.core.project.errors import DamagedAssetError

    with project._db.transaction() as conn:
        conn.execute("UPDATE assets SET hash = '../../etc' WHERE id = ?", (gallery["owl"].id,))
    card = next(c for c in project.list_cards() if c.id == gallery["owl"].id)
    with pytest.raises(DamagedAssetError, match=f"asset {card.id}'s file .* has a damaged row"):
        project.asset_path(card)
    with pytest.raises(ValueError, match="must not be negative"):
        project.list_cards(limit=-1)
