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


# -- what users bring: folders that are not what they seem ----------------------------------


def with_custom_code(folder: Path, marker: Path, config: str = "config.json") -> Path:
    """Give a saved transformers folder an ``auto_map`` to its own ``modeling_custom.py``,
    which creates ``marker`` when imported (as a repository with custom code does)."""
    data = json.loads((folder / config).read_text())
    data["auto_map"] = {"AutoConfig": "modeling_custom.CustomConfig",
                        "AutoModelForCausalLM": "modeling_custom.CustomModel"}
    (folder / config).write_text(json.dumps(data))
    (folder / "modeling_custom.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n")
    return folder


def gpt2_pickle_original_keys(path: Path, seed: int = 0) -> Path:
    """A tiny GPT-2 folder whose only weights are ``pytorch_model.bin`` with the original
    OpenAI key layout (``wte.weight``, ``h.0.attn.c_attn.weight``... no ``transformer.`` prefix),
    as openai-community/gpt2 ships it."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from tests.plugins.genloom_text.tiny_models import train_tokenizer

    tokenizer = train_tokenizer(path)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=64,
                                       eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.bos_token_id))
    with torch.no_grad():
        model.transformer.wte.weight.mul_(20.0)  # clear winners for greedy decoding
    model.config.architectures = ["GPT2LMHeadModel"]  # as the Hub's config.json has it
    model.config.save_pretrained(path)
    torch.save(model.transformer.state_dict(), path / "pytorch_model.bin")
    return path


def pickle_weights_only(folder: Path) -> Path:
    """Replace every ``.safetensors`` file under ``folder`` by a ``torch.save`` pickle of the same
    tensors, named as diffusers and transformers name them (``*.bin``)."""
    import torch
    from safetensors.torch import load_file

    for file in sorted(folder.rglob("*.safetensors")):
        name = {"model.safetensors": "pytorch_model.bin"}.get(file.name, file.name.replace(".safetensors", ".bin"))
        torch.save(load_file(str(file)), file.with_name(name))
        file.unlink()
    return folder


def configs_only(source: Path, path: Path) -> Path:
    """``source`` without its weights: what a download of only ``*.json``/``*.txt`` leaves."""
    for file in sorted(source.rglob("*")):
        if file.is_file() and file.suffix in (".json", ".txt"):
            target = path / file.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(file, target)
    return path


def onnx_external(path: Path, features: int = 3, seed: int = 0) -> Path:
    """An ONNX file whose weights are in ``<name>.data`` beside it (``save_as_external_data``)."""
    import onnx

    onnx_model(path, features)
    model = onnx.load(str(path))
    import numpy as np

    rng = np.random.default_rng(seed)
    for init in model.graph.initializer:
        values = onnx.numpy_helper.to_array(init)
        init.CopyFrom(onnx.numpy_helper.from_array(rng.standard_normal(values.shape).astype(values.dtype),
                                                   init.name))
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=path.name + ".data", size_threshold=0)
    return path


def motion_adapter(path: Path) -> Path:
    """A tiny AnimateDiff ``MotionAdapter`` folder (diffusers ``save_pretrained``)."""
    import torch
    from diffusers import MotionAdapter

    torch.manual_seed(0)
    MotionAdapter(block_out_channels=(8, 16), motion_layers_per_block=1, motion_transformer_layers_per_block=1,
                  motion_num_attention_heads=2, motion_norm_num_groups=2, motion_max_seq_length=4).save_pretrained(path)
    return path


def vits(path: Path) -> Path:
    """A tiny VITS text-to-speech folder (transformers ``save_pretrained``)."""
    import torch
    from transformers import VitsConfig, VitsModel

    torch.manual_seed(0)
    config = VitsConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, ffn_dim=16,
                        flow_size=8, spectrogram_bins=9, upsample_initial_channel=8, upsample_rates=[2, 2],
                        upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]],
                        prior_encoder_num_flows=1, prior_encoder_num_wavenet_layers=1,
                        posterior_encoder_num_wavenet_layers=1, duration_predictor_filter_channels=8,
                        duration_predictor_num_flows=1, depth_separable_num_layers=1)
    VitsModel(config).save_pretrained(path)
    return path


def musicgen(path: Path) -> Path:
    """A tiny MusicGen folder (T5 text encoder, EnCodec, decoder; transformers ``save_pretrained``)."""
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

    torch.manual_seed(0)
    config = MusicgenConfig(
        text_encoder=T5Config(vocab_size=10, d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2).to_dict(),
        audio_encoder=EncodecConfig(hidden_size=8, num_filters=4, num_residual_layers=1, upsampling_ratios=[2, 2],
                                    codebook_size=16, codebook_dim=8, num_lstm_layers=1).to_dict(),
        decoder=MusicgenDecoderConfig(vocab_size=16, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                      ffn_dim=16, num_codebooks=2, pad_token_id=15, bos_token_id=15).to_dict())
    MusicgenForConditionalGeneration(config).save_pretrained(path)
    return path
