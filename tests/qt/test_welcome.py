"""The first run: the welcome project gets examples from the bundled models, the welcome
says which device models run on and why, and offers the model folders found on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genloom._qt.main_window import MainWindow
from genloom._qt.startup import finish_startup
from genloom._qt.welcome import CHECKING_DEVICE, NONE_FOUND, WelcomeDialog, device_line
from genloom.core.jobs.engine import Engine
from genloom.core.models.discover import FoundFolder
from genloom.core.settings import Settings
from genloom.core.welcome import EXAMPLES, is_first_run, queue_examples


@pytest.fixture
def builtin_plugins(genloom_plugins):
    return genloom_plugins(entry_points=True)


def _window(qtbot, plugins, project) -> MainWindow:
    window = MainWindow(Settings(), plugins, project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_only_the_very_first_start_is_a_first_run(qtbot, genloom_home):
    # The frame as start_application makes it, without its application-wide font and theme
    # (which would change the sizes later tests in this process measure).
    window = MainWindow(Settings.load())
    qtbot.addWidget(window)
    assert finish_startup(window, ["genloom-app"]) is True
    assert window.project.path.name == "My first project"
    window.close()
    # The project is remembered: the next start is not a first run, nor is one asked for.
    again = Settings.load()
    assert not is_first_run(again, None)
    assert not is_first_run(Settings(), "/some/project")
    assert not is_first_run(Settings(welcome_shown=True), None)


def test_the_examples_are_queued_jobs_of_the_bundled_generators(builtin_plugins, genloom_project):
    engine = Engine(genloom_project, builtin_plugins, Settings())  # not started: jobs stay queued
    jobs = queue_examples(engine)
    assert [(j.generator_id, j.seed) for j in jobs] == [(e.generator, e.seed) for e in EXAMPLES]
    assert all(j.state == "queued" for j in jobs)
    image = next(j for j in jobs if j.generator_id == "image.text_to_image")
    assert image.params["prompt"] == "red heart"


def test_the_image_example_asks_for_something_the_bundled_model_says_it_knows(builtin_plugins):
    """The prompt field of the bundled image model names what it draws; the welcome's
    picture is one of those, not a scene the emoji model never saw."""
    spec = builtin_plugins.generators["image.text_to_image"]
    [prompt] = [p for p in spec.params if getattr(p, "role", "") == "prompt"]
    known = prompt.placeholder.split("such as:", 1)[1]
    [example] = [e for e in EXAMPLES if e.generator == "image.text_to_image"]
    assert example.prompt in known


def test_a_missing_plugin_only_means_fewer_examples(fixture_plugins, genloom_project):
    engine = Engine(genloom_project, fixture_plugins, Settings())
    assert queue_examples(engine) == []


def test_the_welcome_says_the_device_and_why_and_adds_a_found_folder_to_the_library(
        qtbot, builtin_plugins, genloom_project, tmp_path):
    window = _window(qtbot, builtin_plugins, genloom_project)
    comfy = tmp_path / "ComfyUI"
    (comfy / "comfy").mkdir(parents=True)
    (comfy / "models" / "checkpoints").mkdir(parents=True)
    dialog = WelcomeDialog(window, 4, [FoundFolder(comfy, "ComfyUI")])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.device.text() == CHECKING_DEVICE
    text = " ".join(label.text() for label in dialog.findChildren(type(dialog.device)))
    assert str(genloom_project.path) in text and "making 4 examples" in text
    assert f"ComfyUI: {comfy}" in text
    qtbot.waitUntil(lambda: dialog.device.text() != CHECKING_DEVICE, timeout=120_000)
    # This machine has no GPU PyTorch can use.
    assert dialog.device.text().startswith("Models will run on the CPU: no GPU PyTorch can use")
    dialog.add_buttons[comfy].click()
    assert dialog.add_buttons[comfy].text() == "Added"
    library = window._projects().open_library()
    assert [Path(r.path) for r in library.roots()] == [comfy]


def test_without_other_apps_the_welcome_points_to_the_model_library(
        qtbot, builtin_plugins, genloom_project):
    window = _window(qtbot, builtin_plugins, genloom_project)
    dialog = WelcomeDialog(window, 4, [])
    qtbot.addWidget(dialog)
    labels = [label.text() for label in dialog.findChildren(type(dialog.device))]
    assert NONE_FOUND in labels
    dialog.reject()


def test_the_device_sentence_for_a_gpu_and_for_a_broken_report():
    report = {"sections": [{"title": "PyTorch", "lines": [
        {"label": "Generators run on", "value": "cuda: an NVIDIA GPU (RTX 4090) with a CUDA build "
         "of PyTorch", "problem": ""}]}]}
    assert device_line(json.dumps(report)) == ("Models will run on the NVIDIA GPU (CUDA): an NVIDIA "
                                               "GPU (RTX 4090) with a CUDA build of PyTorch.")
    assert "Help > Diagnostics" in device_line("not json")
