"""Build tiny real-format models on disk for the tests (seeded, a few KB each).

Each builder writes exactly what the real tools write (diffusers and
transformers ``save_pretrained``, safetensors ``save_file``, ``torch.onnx.export``,
``torch.save``), only with tiny shapes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path


def onnx_model(path: Path, features: int = 3) -> Path:
    """Export a ``features``->2 linear layer to ONNX with input ``x`` and output ``y``."""
    import warnings

    import torch

    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(torch.nn.Linear(features, 2), (torch.zeros(1, features),), str(path), dynamo=False,
                          input_names=["x"], output_names=["y"])
    return path


def _clip_tokenizer(folder: Path):
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "a</w>": 2, "cat</w>": 3, "a": 4, "c": 5, "t</w>": 6}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))


def diffusers_sd(path: Path) -> Path:
    """A tiny Stable Diffusion 1.x pipeline folder (UNet, VAE, CLIP text encoder, tokenizer)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        PNDMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(4, 8), layers_per_block=1, sample_size=8, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=8,
                                norm_num_groups=2, attention_head_dim=2)
    vae = AutoencoderKL(block_out_channels=(4,), in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=("DownEncoderBlock2D",), up_block_types=("UpDecoderBlock2D",),
                        norm_num_groups=2)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=7, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                        num_attention_heads=2, max_position_embeddings=16, bos_token_id=0,
                                        eos_token_id=1, pad_token_id=1, projection_dim=8))
    tokenizer = _clip_tokenizer(path.parent / (path.name + "-tokenizer-src"))
    pipe = StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text, tokenizer=tokenizer,
                                   scheduler=PNDMScheduler(steps_offset=1, skip_prk_steps=True), safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(path)
    shutil.rmtree(path.parent / (path.name + "-tokenizer-src"))
    return path


def llama(path: Path, card_licence: str = "") -> Path:
    """A tiny Llama causal LM folder (safetensors weights), with a model card if ``card_licence``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=32)
    LlamaForCausalLM(config).save_pretrained(path)
    if card_licence:
        (path / "README.md").write_text(f"---\nlicense: {card_licence}\n---\n# tiny llama\n")
    return path


def kohya_lora(path: Path, width: int = 768) -> Path:
    """A kohya-style LoRA (``lora_unet_*``/``lora_te_*``, ``lora_down``/``lora_up``/``alpha``)."""
    import torch
    from safetensors.torch import save_file

    unet = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"
    te = "lora_te_text_model_encoder_layers_0_self_attn_q_proj"
    tensors = {f"{unet}.lora_down.weight": torch.zeros(4, width), f"{unet}.lora_up.weight": torch.zeros(320, 4),
               f"{unet}.alpha": torch.tensor(4.0), f"{te}.lora_down.weight": torch.zeros(4, 8),
               f"{te}.lora_up.weight": torch.zeros(8, 4), f"{te}.alpha": torch.tensor(4.0)}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"ss_output_name": "tiny-style"})
    return path


def sd1_checkpoint(path: Path) -> Path:
    """A single-file checkpoint with the original SD 1.x key names (tiny tensors)."""
    import torch
    from safetensors.torch import save_file

    names = ["model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.out.2.weight",
             "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight",
             "first_stage_model.encoder.conv_in.weight", "first_stage_model.decoder.conv_out.weight"]
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({name: torch.full((2, 2), float(i)) for i, name in enumerate(names)}, str(path))
    return path


def unknown_safetensors(path: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"foo.bar": torch.zeros(2), "baz": torch.ones(1)}, str(path))
    return path


def gguf(path: Path, metadata: list[tuple[str, object]], elements: int = 0) -> Path:
    """A GGUF v3 file (llama.cpp's layout): ``metadata`` key/values (str, list of str or uint32),
    then, when ``elements`` > 0, one F32 tensor ``token_embd.weight`` of that many zeros (32-byte aligned)."""
    import struct

    def string(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    body = b""
    for key, value in metadata:
        if isinstance(value, str):
            body += string(key) + struct.pack("<I", 8) + string(value)
        elif isinstance(value, list):
            body += string(key) + struct.pack("<IIQ", 9, 8, len(value)) + b"".join(string(v) for v in value)
        else:
            body += string(key) + struct.pack("<I", 4) + struct.pack("<I", value)
    tensors = b""
    if elements:
        tensors = string("token_embd.weight") + struct.pack("<IQIQ", 1, elements, 0, 0)
    head = b"GGUF" + struct.pack("<IQQ", 3, 1 if elements else 0, len(metadata)) + body + tensors
    data = b""
    if elements:
        head += b"\0" * (-len(head) % 32)
        data = b"\0" * (4 * elements)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + data)
    return path


class RunsCode:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def malicious_pickle(path: Path, marker: Path) -> Path:
    """A ``.ckpt`` (torch.save zip) whose unpickling would create ``marker``."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": {"w": torch.zeros(1)}, "payload": RunsCode(marker)}, path)
    return path


def hf_cache_repo(cache: Path, repo_id: str, source: Path, revision: str = "a" * 40) -> Path:
    """Lay ``source`` (a save_pretrained folder) out as huggingface_hub's cache does.

    ``models--org--name/blobs/<id>`` holds each file once (LFS files named by
    their SHA-256, the rest by their git blob SHA-1), ``snapshots/<rev>/`` holds
    relative links to the blobs, ``refs/main`` names the revision.
    Returns the snapshot folder.
    """
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    for file in sorted(p for p in source.rglob("*") if p.is_file()):
        data = file.read_bytes()
        if file.suffix == ".safetensors":
            blob_id = hashlib.sha256(data).hexdigest()
        else:
            blob_id = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        (repo / "blobs" / blob_id).write_bytes(data)
        link = snapshot / file.relative_to(source)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(repo / "blobs" / blob_id, link.parent))
    return snapshot


def tree_digest(root: Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file under ``root`` (links are followed)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}
