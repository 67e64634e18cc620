"""The bundled GAN and VAE generate from the app's Generate panel (real worker); the VAE's
interpolation takes two gallery images as its inputs and its strip opens in the viewer."""

from __future__ import annotations

import pytest
from PIL import Image

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


def _generate(qtbot, window, generator, values):
    assert window.generate_panel.picker.select(generator)
    window.generate_panel.form.set_values(values)
    (job,) = window.generate_panel.generate()
    qtbot.waitUntil(lambda: window.project.jobs.get(job.id).state in ("done", "failed"), timeout=TIMEOUT)
    job = window.project.jobs.get(job.id)
    assert job.state == "done", job.error
    return window.project.get_asset(job.asset_ids[0])


def test_gan_and_vae_generate_then_interpolate_between_their_images(qtbot, window):
    for generator in ("image.gan", "image.vae"):
        if generator not in window.plugins.generators:
            record = window.plugins.plugins.get("image")
            pytest.fail(f"{generator} is not available: {record.error if record else 'plugin missing'}")
    gan = _generate(qtbot, window, "image.gan", {"prompt": "red heart"})
    vae = _generate(qtbot, window, "image.vae", {"prompt": "star"})
    assert gan.recipe["model"]["id"] == "image.icon-gan-64" and gan.recipe["model"]["source"] == "bundled"
    assert vae.recipe["model"]["id"] == "image.icon-vae-64"

    assert window.generate_panel.picker.select("image.vae_interpolate")
    window.generate_panel.use_as_input(gan.id)  # as the gallery's "use as input" does, twice
    window.generate_panel.use_as_input(vae.id)
    assert window.generate_panel.form.input_ids() == {"start": gan.id, "end": vae.id}
    strip = _generate(qtbot, window, "image.vae_interpolate", {"steps": 5})
    with Image.open(window.project.asset_path(strip)) as img:
        assert img.size == (5 * 64, 64)
    assert sorted(p.id for p in window.project.parents(strip.id)) == sorted([gan.id, vae.id])
    qtbot.waitUntil(lambda: window.gallery.model.total() == 3, timeout=TIMEOUT)
    window.inspector.show_asset(strip.id)  # the strip opens in the image viewer, whole
    viewer = window.inspector.viewer()
    assert type(viewer).__name__ == "ImageViewer"
    assert (viewer.pixmap().width(), viewer.pixmap().height()) == (5 * 64, 64)
