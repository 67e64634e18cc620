"""The built-in plugins' bundled models generate through the app window (real worker)."""

from __future__ import annotations

import pytest

from genloom._qt.main_window import MainWindow
from genloom.core.settings import Settings

TIMEOUT = 180_000


@pytest.fixture
def window(qtbot, genloom_plugins, genloom_project):
    win = MainWindow(Settings(), genloom_plugins(entry_points=True), genloom_project)
    qtbot.addWidget(win)
    win.show()
    win.start_engine()
    yield win
    win.stop_engine()


@pytest.mark.parametrize("generator, prompt, kind", [
    ("image.text_to_image", "red heart", "image"),
    ("text.complete", "A wise man once said", "text"),
    ("code.complete", "def add(a, b):", "code"),
    ("audio.speech", "Hello there. This is a scratch voice.", "audio"),
])
def test_bundled_model_generates_from_the_form(qtbot, window, generator, prompt, kind):
    if generator not in window.plugins.generators:
        record = window.plugins.plugins.get(generator.split(".")[0])
        pytest.fail(f"{generator} is not available: {record.error if record else 'plugin missing'}")
    assert window.generate_panel.picker.select(generator)
    window.generate_panel.form.set_values({window.generate_panel.form.prompt_field(): prompt})
    (job,) = window.generate_panel.generate()
    qtbot.waitUntil(lambda: window.project.jobs.get(job.id).state in ("done", "failed"), timeout=TIMEOUT)
    job = window.project.jobs.get(job.id)
    assert job.state == "done", job.error
    asset = window.project.get_asset(job.asset_ids[0])
    assert asset.kind == kind
    assert asset.recipe["model"]["source"] == "bundled"
    qtbot.waitUntil(lambda: window.gallery.model.total() == 1, timeout=TIMEOUT)


@pytest.mark.parametrize("generator, values", [
    ("video.text_to_video", {"prompt": "red heart, zoom in", "frames": 8, "fps": 8, "steps": 4}),
    ("video.animatic", {"prompts": "red heart\nsun", "seconds": 0.5, "hold": 0.0, "fps": 8,
                        "width": 64, "height": 64, "steps": 4}),
])
def test_video_generates_from_the_form_and_shows_in_the_viewer(qtbot, window, generator, values):
    """A clip made by the bundled models from the Generate panel lands as a video asset with
    its fps in the recipe and appears in the gallery."""
    if generator not in window.plugins.generators:
        record = window.plugins.plugins.get("video")
        pytest.fail(f"{generator} is not available: {record.error if record else 'plugin missing'}")
    assert window.generate_panel.picker.select(generator)
    window.generate_panel.form.set_values(values)
    (job,) = window.generate_panel.generate()
    qtbot.waitUntil(lambda: window.project.jobs.get(job.id).state in ("done", "failed"), timeout=TIMEOUT)
    job = window.project.jobs.get(job.id)
    assert job.state == "done", job.error
    asset = window.project.get_asset(job.asset_ids[0])
    assert asset.kind == "video"
    assert asset.recipe["params"]["fps"] == 8
    qtbot.waitUntil(lambda: window.gallery.model.total() == 1, timeout=TIMEOUT)


def test_the_bundled_emoji_model_is_offered_in_the_form_and_generates(qtbot, window):
    """The second bundled diffusion model (emoji-ldm-32) is one of the form's model choices
    for text to image beside the default (icon-ldm-64), and a run with it makes a 32x32
    image recorded with its id."""
    assert window.generate_panel.picker.select("image.text_to_image")
    combo = window.generate_panel.form.model_combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels[0] == "Default (image.icon-ldm-64)"
    (index,) = [i for i, label in enumerate(labels) if label.startswith("Emoji LDM 32px (bundled)")]
    combo.setCurrentIndex(index)
    window.generate_panel.form.set_values({"prompt": "red heart", "steps": 6})
    (job,) = window.generate_panel.generate()
    qtbot.waitUntil(lambda: window.project.jobs.get(job.id).state in ("done", "failed"), timeout=TIMEOUT)
    job = window.project.jobs.get(job.id)
    assert job.state == "done", job.error
    asset = window.project.get_asset(job.asset_ids[0])
    assert asset.recipe["model"]["id"] == "image.emoji-ldm-32"
    assert (asset.metadata["width"], asset.metadata["height"]) == (32, 32)
