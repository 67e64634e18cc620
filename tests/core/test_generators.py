"""core.generators: which installed generators take an asset of a kind (asked by the shell's "use as input")."""

from __future__ import annotations

from genloom.core.generators import accepting
from genloom.core.plugins import PluginManager
from genloom.sdk import GeneratorSpec, InputSpec


def _spec(gid: str, title: str, *inputs: InputSpec) -> GeneratorSpec:
    return GeneratorSpec(id=gid, modality="image", title=title, factory=object, inputs=inputs)


SPECS = [
    _spec("t.txt2img", "Text to image"),
    _spec("t.variations", "Variations", InputSpec("source", "image")),
    _spec("t.inpaint", "Inpaint", InputSpec("image", "image"), InputSpec("mask", "image")),
    _spec("t.dub", "Dub", InputSpec("voice", "audio"), InputSpec("reference", "image", required=False)),
]


def test_generators_taking_a_kind_come_by_title_with_the_role_of_their_first_input_of_that_kind():
    found = [(slot.generator.id, slot.role) for slot in accepting(SPECS, "image")]
    assert found == [("t.dub", "reference"), ("t.inpaint", "image"), ("t.variations", "source")]
    assert [(s.generator.id, s.role) for s in accepting(SPECS, "audio")] == [("t.dub", "voice")]
    assert accepting(SPECS, "video") == []


def test_required_roles_narrow_to_generators_that_have_them_all():
    assert [s.generator.id for s in accepting(SPECS, "image", roles={"image", "mask"})] == ["t.inpaint"]
    assert accepting(SPECS, "audio", roles={"image", "mask"}) == []


def test_the_fixture_plugins_answer_through_the_plugin_manager(fixture_plugins: PluginManager):
    slots = accepting(fixture_plugins.generators.values(), "image")
    assert "gltest_basic.invert" in [s.generator.id for s in slots]
    assert all(any(i.kind == "image" for i in s.generator.inputs) for s in slots)
