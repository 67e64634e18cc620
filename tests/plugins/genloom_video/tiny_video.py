"""Tiny real-format video models built from configs (random weights), as diffusers' own tests build them."""

from __future__ import annotations

from pathlib import Path

from tests.plugins.genloom_image.tiny_sd import write_tokenizer


def build_tiny_adapter(folder: Path, seed: int = 0, max_frames: int = 8) -> Path:
    """A MotionAdapter for the tiny SD of ``tiny_sd.build_tiny_sd`` (UNet channels 4, 8)."""
    import torch
    from diffusers import MotionAdapter

    torch.manual_seed(seed)
    adapter = MotionAdapter(block_out_channels=(4, 8), motion_layers_per_block=1, motion_num_attention_heads=2,
                            motion_norm_num_groups=2, motion_max_seq_length=max_frames)
    # AnimateDiff zero-initialises the motion modules' output; give them weight so motion shows.
    with torch.no_grad():
        for name, param in adapter.named_parameters():
            if "proj_out" in name:
                param.normal_(0, 0.02)
    adapter.save_pretrained(folder, safe_serialization=True)
    return folder


def _t5(vocab: int):
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(vocab_size=vocab, d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4,
                                   relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1))


def build_tiny_cogvideox(folder: Path, seed: int = 0) -> Path:
    """A CogVideoXPipeline folder with diffusers' test configuration (16x16, 4k+1 frames)."""
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )
    from transformers import CLIPTokenizer

    vocab = write_tokenizer(folder / "_tokenizer")
    tokenizer = CLIPTokenizer.from_pretrained(folder / "_tokenizer")
    torch.manual_seed(seed)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4, time_embed_dim=2,
        text_embed_dim=32, num_layers=1, sample_width=2, sample_height=2, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=16)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=4,
        layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)
    pipe = CogVideoXPipeline(tokenizer=tokenizer, text_encoder=_t5(vocab), vae=vae, transformer=transformer,
                             scheduler=CogVideoXDDIMScheduler())
    out = folder / "tiny-cogvideox"
    pipe.save_pretrained(out, safe_serialization=True)
    return out


def build_tiny_wan(folder: Path, seed: int = 0) -> Path:
    """A WanPipeline folder with diffusers' test configuration."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import CLIPTokenizer

    vocab = write_tokenizer(folder / "_tokenizer")
    tokenizer = CLIPTokenizer.from_pretrained(folder / "_tokenizer")
    torch.manual_seed(seed)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32)
    pipe = WanPipeline(tokenizer=tokenizer, text_encoder=_t5(vocab), vae=vae, transformer=transformer,
                       scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0))
    out = folder / "tiny-wan"
    pipe.save_pretrained(out, safe_serialization=True)
    return out
