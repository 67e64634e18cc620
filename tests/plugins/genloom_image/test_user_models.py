"""A user's Stable Diffusion folder through the user-model path: every task, LoRA, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genloom.sdk import CancelledError, ParameterError, RunState
from genloom.testing import check_generator
from tests.plugins.genloom_image.conftest import pixels

FAST = {"prompt": "a red dot", "steps": 3}


def test_text_to_image_makes_a_png_at_the_models_native_size_with_its_parameters_text(runner, tiny_sd):
    (out,), state = runner("image.text_to_image", tiny_sd).run(seed=5, **FAST)
    with Image.open(out.path) as img:
        assert img.size == (64, 64)
        text = img.text["parameters"]
    assert text == out.metadata["parameters"]
    assert text.startswith("a red dot\nSteps: 3, Sampler: DDIM, CFG scale: 5.0, Seed: 5, Size: 64x64")
    assert out.metadata["pipeline"] == "StableDiffusionPipeline"
    assert [r.step for r in state.reports] == [1, 2, 3]


def test_same_seed_gives_the_same_image_and_another_seed_another(runner, tiny_sd):
    run = runner("image.text_to_image", tiny_sd)
    (a,), _ = run.run(seed=11, **FAST)
    (b,), _ = run.run(seed=11, **FAST)
    (c,), _ = run.run(seed=12, **FAST)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert np.abs(pixels(a) - pixels(c)).mean() > 1.0


def test_the_image_generators_take_one_seed_per_run_so_each_image_remakes_exactly(image_plugins, runner, tiny_sd):
    # Batched denoising can round differently from one seed alone, so the specs ask
    # Genloom for one seed per job; given several, the generator still makes one per seed.
    assert {spec.batch_size for spec in image_plugins.generators.values()} == {1}
    run = runner("image.text_to_image", tiny_sd)
    outs, _ = run.run(seed=20, seeds=(20, 21, 22), **FAST)
    assert [o.metadata["seed"] for o in outs] == [20, 21, 22]


def test_previews_are_small_images_made_without_the_vae(runner, tiny_sd):
    _, state = runner("image.text_to_image", tiny_sd).run(steps=8, prompt="x")
    previews = [r.preview for r in state.reports if r.preview]
    assert len(previews) == 8 and all(p.startswith(b"\xff\xd8") for p in previews)


def test_image_to_image_keeps_the_input_at_low_strength(runner, tiny_sd, picture):
    run = runner("image.image_to_image", tiny_sd)
    image = picture(64, 64)
    (low,), state = run.run(inputs={"image": image}, strength=0.2, steps=10, prompt="x")
    (high,), _ = run.run(inputs={"image": image}, strength=1.0, steps=10, prompt="x")
    source = np.asarray(Image.open(image.path).convert("RGB"), dtype=np.float32)
    assert state.reports[-1].total == 2  # 10 steps x 0.2 strength
    assert np.abs(pixels(low) - source).mean() < np.abs(pixels(high) - source).mean()
    assert low.metadata["pipeline"] == "StableDiffusionImg2ImgPipeline"


def test_image_to_image_shares_the_loaded_components(runner, tiny_sd, picture):
    t2i = runner("image.text_to_image", tiny_sd)
    i2i = runner("image.image_to_image", tiny_sd)
    i2i.run(inputs={"image": picture()}, **FAST)
    from genloom_image import pipelines

    img2img = pipelines.derived(i2i.generator.loaded, "img2img")
    assert t2i.generator.loaded is i2i.generator.loaded
    assert img2img.unet is t2i.generator.loaded.pipe.unet


def test_inpainting_changes_only_the_masked_part(runner, tiny_sd, picture):
    run = runner("image.inpaint", tiny_sd)
    image, mask = picture(64, 64), picture(64, 64, kind="mask")
    (out,), _ = run.run(inputs={"image": image, "mask": mask}, steps=4, prompt="x")
    source = np.asarray(Image.open(image.path).convert("RGB"), dtype=np.float32)
    diff = np.abs(pixels(out) - source).mean(axis=2)
    assert out.metadata["pipeline"] == "StableDiffusionInpaintPipeline"
    assert diff[20:44, 20:44].mean() > 5.0
    assert diff[:14].max() == 0 and diff[:, :14].max() == 0  # kept pixels are untouched


def test_variations_reuse_the_source_prompt_one_image_per_seed(runner, tiny_sd, picture):
    outs, _ = runner("image.variations", tiny_sd).run(seed=3, seeds=(3, 4), inputs={"image": picture()}, steps=4)
    assert [o.metadata["seed"] for o in outs] == [3, 4]
    assert all(o.metadata["prompt"] == "a red dot" for o in outs)


def test_a_lora_changes_the_image_and_weight_zero_does_not(runner, tiny_sd, tiny_lora):
    run = runner("image.text_to_image", tiny_sd)
    (plain,), _ = run.run(seed=2, **FAST)
    (lora,), _ = run.run(seed=2, loras=f"{tiny_lora}=1.0", **FAST)
    (zero,), _ = run.run(seed=2, loras=f"{tiny_lora}=0", **FAST)
    (again,), _ = run.run(seed=2, **FAST)
    assert np.abs(pixels(plain) - pixels(lora)).mean() > 1.0
    assert np.abs(pixels(plain) - pixels(zero)).max() <= 1.0
    assert plain.path.read_bytes() == again.path.read_bytes()  # turned off again
    assert lora.metadata["loras"] == [{"file": tiny_lora.name, "weight": 1.0}]
    assert f"Lora: {tiny_lora.name}=1.0" in lora.metadata["parameters"]


def test_schedulers_are_chosen_by_name_among_the_compatible_ones(runner, tiny_sd):
    run = runner("image.text_to_image", tiny_sd)
    (out,), _ = run.run(scheduler="DPM++ 2M Karras", **FAST)
    assert out.metadata["scheduler_class"] == "DPMSolverMultistepScheduler"
    assert "Sampler: DPM++ 2M Karras" in out.metadata["parameters"]
    with pytest.raises(ParameterError, match=r"scheduler: 'Flow Match Euler' is not compatible .*'Euler a'"):
        run.run(scheduler="Flow Match Euler", **FAST)


def test_cancel_mid_run_stops_within_one_step(runner, tiny_sd):
    state = RunState()
    steps_seen = []

    def report(progress):
        steps_seen.append(progress.step)
        if progress.step == 2:
            state.cancel()

    state._report = report
    run = runner("image.text_to_image", tiny_sd)
    with pytest.raises(CancelledError):
        run.run(state=state, steps=20, prompt="x")
    assert steps_seen == [1, 2]
    assert not list(run.workdir.glob("run-*/*.png"))


@pytest.mark.parametrize("generator_id", ["image.text_to_image", "image.image_to_image", "image.inpaint",
                                          "image.variations"])
def test_generators_pass_the_conformance_suite(image_plugins, tiny_sd, picture, tmp_path, generator_id):
    inputs = {"image": picture(), "mask": picture(kind="mask")}
    spec = image_plugins.generator(generator_id)
    wanted = {i.role for i in spec.inputs}
    report = check_generator(spec, {"prompt": "a red dot", "steps": 2, "strength": 1.0}
                             if "strength" in {p.name for p in spec.params} else {"prompt": "x", "steps": 2},
                             inputs={k: v for k, v in inputs.items() if k in wanted}, model=tiny_sd,
                             workdir=tmp_path)
    assert report.deterministic and report.cancel_honoured
