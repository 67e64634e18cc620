"""The image and text recognisers on hand-written configs and safetensors headers (no torch)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from genloom_image.identify import (
    classify_checkpoint_keys,
    identify_checkpoint,
    identify_diffusers_folder,
    identify_image_model,
    identify_lora,
)
from genloom_text.identify import (
    identify_peft_adapter,
    identify_text_model,
    identify_transformers_folder,
)


def _safetensors(path: Path, shapes: dict[str, list[int]], metadata: dict[str, str] | None = None) -> Path:
    header: dict = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, shape in shapes.items():
        size = 4
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)
    return path


def _folder(path: Path, files: dict[str, object]) -> Path:
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize(("pipeline", "architecture"), [
    ("StableDiffusionXLPipeline", "SDXL"), ("StableDiffusion3Pipeline", "SD3"), ("FluxPipeline", "Flux"),
    ("PixArtSigmaPipeline", "PixArt-Σ"), ("PixArtAlphaPipeline", "PixArt-α"), ("SanaPipeline", "Sana")])
def test_diffusers_pipeline_classes_name_their_architecture(tmp_path, pipeline, architecture):
    _folder(tmp_path, {"model_index.json": {"_class_name": pipeline, "unet": ["diffusers", "X"]}})
    match = identify_diffusers_folder(tmp_path)
    assert (match.kind, match.architecture, match.format) == ("diffusers", architecture, "diffusers-folder")


@pytest.mark.parametrize(("width", "version"), [(768, "SD 1.x"), (1024, "SD 2.x")])
def test_stable_diffusion_version_comes_from_the_cross_attention_width(tmp_path, width, version):
    _folder(tmp_path, {"model_index.json": {"_class_name": "StableDiffusionPipeline"},
                       "unet/config.json": {"cross_attention_dim": width}})
    assert identify_diffusers_folder(tmp_path).architecture == version


def test_an_sdxl_refiner_has_only_the_second_text_encoder(tmp_path):
    _folder(tmp_path, {"model_index.json": {"_class_name": "StableDiffusionXLImg2ImgPipeline",
                                            "text_encoder_2": ["transformers", "X"]}})
    assert identify_diffusers_folder(tmp_path).architecture == "SDXL refiner"


def test_video_and_unknown_pipelines_are_left_to_other_plugins(tmp_path):
    _folder(tmp_path, {"model_index.json": {"_class_name": "StableVideoDiffusionPipeline"}})
    assert identify_image_model(tmp_path) is None


@pytest.mark.parametrize(("keys", "expected"), [
    (["conditioner.embedders.1.model.ln_final.weight", "model.diffusion_model.label_emb.0.0.weight"],
     ("SDXL", "sd-checkpoint")),
    (["conditioner.embedders.0.model.ln_final.weight", "model.diffusion_model.label_emb.0.0.weight"],
     ("SDXL refiner", "sd-checkpoint")),
    (["cond_stage_model.model.transformer.resblocks.0.ln_1.weight", "model.diffusion_model.out.2.weight"],
     ("SD 2.x", "sd-checkpoint")),
    (["model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight"], ("SD3", "sd-checkpoint")),
    (["double_blocks.0.img_attn.qkv.weight", "single_blocks.0.linear1.weight"], ("Flux", "sd-checkpoint")),
    (["encoder.conv_in.weight", "decoder.conv_out.weight"], ("VAE", "vae")),
    (["some.other.weight"], ("", "")),
])
def test_single_file_checkpoints_by_tensor_names(keys, expected):
    assert classify_checkpoint_keys(dict.fromkeys(keys)) == expected


def test_a_unet_only_checkpoint_is_versioned_by_its_cross_attention_shape(tmp_path):
    path = _safetensors(tmp_path / "unet.safetensors", {
        "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": [2, 1024]})
    assert identify_checkpoint(path).architecture == "SD 2.x"


def test_kohya_sdxl_lora_is_recognised_by_its_second_text_encoder(tmp_path):
    path = _safetensors(tmp_path / "x.safetensors", {
        "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": [4, 8],
        "lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": [4, 8],
        "lora_unet_input_blocks_4_1_proj_in.lora_up.weight": [8, 4]})
    match = identify_lora(path)
    assert (match.kind, match.architecture, match.details["layout"], match.details["rank"]) == (
        "lora", "SDXL", "kohya", 4)


def test_peft_style_flux_lora(tmp_path):
    path = _safetensors(tmp_path / "x.safetensors", {
        "transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight": [2, 8],
        "transformer.single_transformer_blocks.0.attn.to_q.lora_B.weight": [8, 2]})
    assert (identify_lora(path).architecture, identify_lora(path).details["layout"]) == ("Flux", "diffusers")


def test_the_trainers_metadata_names_the_base(tmp_path):
    path = _safetensors(tmp_path / "x.safetensors", {"lora_unet_x_attn1_to_q.lora_down.weight": [2, 8]},
                        {"ss_base_model_version": "sdxl_base_v1-0", "modelspec.license": "openrail"})
    match = identify_lora(path)
    assert (match.architecture, match.licence) == ("SDXL", "openrail")


def test_a_language_model_lora_is_not_an_image_lora(tmp_path):
    path = _safetensors(tmp_path / "x.safetensors", {
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": [2, 8]})
    assert identify_image_model(path) is None


def test_a_broken_safetensors_file_is_not_claimed(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"\xff" * 20)
    assert identify_image_model(tmp_path / "x.safetensors") is None


@pytest.mark.parametrize(("config", "family"), [
    ({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"}, "Qwen2"),
    ({"architectures": ["MistralForCausalLM"], "model_type": "mistral"}, "Mistral"),
    ({"architectures": ["Phi3ForCausalLM"], "model_type": "phi3"}, "Phi-3"),
    ({"architectures": ["GemmaForCausalLM"], "model_type": "gemma"}, "Gemma"),
    ({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}, "GPT-2"),
    ({"architectures": ["Starcoder2ForCausalLM"], "model_type": "starcoder2"}, "StarCoder2"),
    ({"architectures": ["NewThingForCausalLM"], "model_type": "newthing"}, "NewThing"),
])
def test_causal_lm_families(tmp_path, config, family):
    _folder(tmp_path, {"config.json": config})
    (tmp_path / "model.safetensors").write_bytes(b"")
    match = identify_transformers_folder(tmp_path)
    assert (match.kind, match.architecture, match.format) == ("transformers-causal-lm", family, "safetensors")


def test_a_model_with_only_pickle_weights_is_matched_with_a_refusal_note(tmp_path):
    _folder(tmp_path, {"config.json": {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}})
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    match = identify_text_model(tmp_path)
    assert match.format == "pickle"
    assert "pytorch_model.bin" in match.details["refused"] and "refused unless allowed" in match.details["refused"]


def test_encoders_and_seq2seq_models_are_not_causal_lms(tmp_path):
    _folder(tmp_path, {"config.json": {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5"}})
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert identify_text_model(tmp_path) is None


def test_a_peft_adapter_folder(tmp_path):
    _folder(tmp_path, {"adapter_config.json": {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 8,
                                               "base_model_name_or_path": "Qwen/Qwen2-0.5B"}})
    (tmp_path / "adapter_model.safetensors").write_bytes(b"")
    match = identify_peft_adapter(tmp_path)
    assert (match.kind, match.architecture, match.details["rank"]) == ("text-lora", "Qwen2-0.5B", 8)


def test_recognisers_import_no_torch():
    import subprocess
    import sys

    code = ("import sys, genloom_image.identify, genloom_text.identify, genloom.core.models; "
            "print(any(m in sys.modules for m in ('torch', 'diffusers', 'transformers', 'onnxruntime')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
