"""Bad requests are refused before generating, with errors naming the parameter, value and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.sdk import InputError, ModelRef, ParameterError, PickleRefusedError
from genloom_image.pipelines import ModelLoadError
from genloom_image.validation import SizeRule, check_strength_steps, parse_loras, resolve_size


def test_sizes_must_be_multiples_of_8_and_the_error_names_the_nearest_ones():
    rule = SizeRule.for_native(512)
    with pytest.raises(ParameterError, match=r"^width: 300 is not a multiple of 8; use 296 or 304$"):
        rule.check("width", 300)


def test_sizes_outside_the_models_range_name_the_range():
    rule = SizeRule.for_native(32)
    assert (rule.minimum, rule.maximum) == (8, 128)
    with pytest.raises(ParameterError, match=r"height: 512 is outside this model's range of 8 to 128 pixels "
                                             r"\(it was trained at 32\); choose a multiple of 8 from 8 to 128"):
        rule.check("height", 512)


def test_zero_means_native_size_or_the_input_images_size():
    rule = SizeRule.for_native(64)
    assert resolve_size(rule, 0, 0) == (64, 64)
    assert resolve_size(rule, 0, 48, fallback=(128, 96)) == (128, 48)
    with pytest.raises(ParameterError, match=r"width: 100 \(the input image's width\) is not a multiple of 8.*"
                                             r"set width explicitly, e.g. 64"):
        resolve_size(rule, 0, 0, fallback=(100, 64))


def test_strength_that_runs_no_step_is_refused():
    check_strength_steps(0.5, 4)
    with pytest.raises(ParameterError, match=r"strength: 0.1 with 5 steps runs no denoising step.*at least 0.20"):
        check_strength_steps(0.1, 5)
    with pytest.raises(ParameterError, match="strength: 0.0 leaves the input image unchanged"):
        check_strength_steps(0.0, 10)


def test_lora_lists_parse_weights_and_refuse_pickle_and_missing_files(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b=c.safetensors"
    a.write_bytes(b"x")
    b.write_bytes(b"x")
    specs = parse_loras(f"{a}=0.8; {b}\n\n")
    assert [(s.path, s.weight) for s in specs] == [(a, 0.8), (b, 1.0)]
    with pytest.raises(ParameterError, match=r"loras: 'style.ckpt' is a pickle-based file, which can run code"):
        parse_loras(str(tmp_path / "style.ckpt"))
    with pytest.raises(ParameterError, match="loras: 'gone.safetensors' does not exist"):
        parse_loras(str(tmp_path / "gone.safetensors"))


def test_a_lora_named_by_its_library_id_gets_told_to_give_the_path_not_a_pickle_warning(tmp_path):
    with pytest.raises(ParameterError) as caught:
        parse_loras("3f2a9c1b0d4e=0.7")
    message = str(caught.value)
    assert message.startswith("loras: '3f2a9c1b0d4e' looks like a model library id, but LoRAs are given by "
                              "the path of their file")
    assert "the model library shows it" in message and "pickle" not in message
    with pytest.raises(ParameterError, match=r"loras: 'notes.txt' is not a LoRA file: LoRAs are .safetensors"):
        parse_loras(str(tmp_path / "notes.txt"))


def test_spec_refuses_bad_steps_strength_and_size(image_plugins):
    i2i = image_plugins.generator("image.image_to_image")
    with pytest.raises(ParameterError, match="steps: 0 is below the minimum of 1"):
        i2i.validate_params({"steps": 0})
    with pytest.raises(ParameterError, match="steps: 500 is above the maximum of 150"):
        i2i.validate_params({"steps": 500})
    with pytest.raises(ParameterError, match="strength: 1.5 is above the maximum of 1.0"):
        i2i.validate_params({"strength": 1.5})
    with pytest.raises(ParameterError, match="width: -8 is below the minimum of 0"):
        i2i.validate_params({"width": -8})


def test_run_refuses_sizes_the_loaded_model_cannot_make(runner, tiny_sd, picture):
    run = runner("image.text_to_image", tiny_sd)
    with pytest.raises(ParameterError, match=r"^width: 60 is not a multiple of 8; use 56 or 64$"):
        run.run(prompt="x", steps=2, width=60)
    with pytest.raises(ParameterError, match=r"height: 1024 is outside this model's range of 16 to 256"):
        run.run(prompt="x", steps=2, height=1024)
    i2i = runner("image.image_to_image", tiny_sd)
    with pytest.raises(ParameterError, match=r"strength: 0.05 with 10 steps runs no denoising step"):
        i2i.run(prompt="x", steps=10, strength=0.05, inputs={"image": picture()})
    with pytest.raises(InputError, match="needs an image as 'image'"):
        i2i.run(prompt="x", steps=2)


def test_mask_and_image_of_different_sizes_are_refused(runner, tiny_sd, picture):
    run = runner("image.inpaint", tiny_sd)
    with pytest.raises(InputError, match="the mask is 32x32 but the image is 64x64"):
        run.run(prompt="x", steps=2, inputs={"image": picture(64, 64), "mask": picture(32, 32, kind="mask")})


def test_cpu_offload_on_the_cpu_is_refused_not_ignored(runner, tiny_sd):
    with pytest.raises(ParameterError, match="cpu_offload: True only applies to CUDA GPUs"):
        runner("image.text_to_image", tiny_sd).run(prompt="x", steps=2, cpu_offload=True)


def test_pickle_models_are_refused_with_the_reason(image_plugins, tmp_path):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(b"\x80\x04not really")
    gen = image_plugins.generator("image.text_to_image").factory()
    with pytest.raises(PickleRefusedError, match="unpickling can run any code"):
        gen.load(ModelRef(id="m", path=str(ckpt)), "cpu", "float32")
    folder = tmp_path / "old-sd"
    (folder / "unet").mkdir(parents=True)
    (folder / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(PickleRefusedError, match="holds only pickle-based weights"):
        gen.load(ModelRef(id="m", path=str(folder)), "cpu", "float32")


def test_a_lora_chosen_as_the_base_model_is_refused(image_plugins, tiny_lora):
    gen = image_plugins.generator("image.text_to_image").factory()
    with pytest.raises(ModelLoadError, match="is a LoRA, not a base model"):
        gen.load(ModelRef(id="l", kind="lora", path=str(tiny_lora)), "cpu", "float32")


def test_a_single_file_checkpoint_without_offline_configs_names_what_is_missing(image_plugins, tmp_path):
    import torch
    from safetensors.torch import save_file

    path = tmp_path / "sd15.safetensors"
    # 2-D like real weights: diffusers reads their shapes to tell SD 1.x from an inpainting model
    save_file({"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(2, 2),
               "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": torch.zeros(2, 2)}, path)
    gen = image_plugins.generator("image.text_to_image").factory()
    with pytest.raises(ModelLoadError, match=r"cannot set up sd15.safetensors \(SD 1.x\) offline.*huggingface-cli"):
        gen.load(ModelRef(id="c", path=str(path)), "cpu", "float32")


def test_the_plugin_recognises_its_model_kinds(image_plugins, tiny_sd, tiny_lora):
    from genloom_image.plugin import genloom_identify_model

    assert genloom_identify_model(Path(tiny_sd.path)).kind == "diffusers"
    assert genloom_identify_model(tiny_lora).kind == "lora"
