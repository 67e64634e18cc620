"""Listing and counting assets: filters, orders, pages."""

from __future__ import annotations

import pytest

from genloom.core.project import Asset, Project


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
