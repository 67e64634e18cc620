"""Tiny real-format audio models built from configs (shapes as in transformers' own tests)."""

from __future__ import annotations

from pathlib import Path

WORDS = ["calm", "piano", "folk", "tune", "fast", "drums", "slow", "happy", "sad", "violin"]
# ids 0-12: inside the tiny T5's vocabulary of 16


def tiny_tokenizer(folder: Path) -> None:
    """A word-level tokenizer (ids below the tiny T5's vocabulary) saved into ``folder``."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                            unk_token="<unk>").save_pretrained(folder)


def build_musicgen(folder: Path, seed: int = 0) -> Path:
    """A MusicGen folder (pad and start ids just past the codebook vocabulary, as in
    transformers' own tests, so sampling never makes one; T5 text encoder, EnCodec at 75 frames a second, 2-codebook
    decoder), under a megabyte."""
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

    torch.manual_seed(seed)
    text = T5Config(vocab_size=16, d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2)
    audio = EncodecConfig(hidden_size=8, num_filters=4, num_residual_layers=1,
                          codebook_size=16, codebook_dim=8, num_lstm_layers=1)
    decoder = MusicgenDecoderConfig(
        vocab_size=16, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, ffn_dim=16,
        pad_token_id=16, decoder_start_token_id=16, bos_token_id=16, num_codebooks=2,
        tie_word_embeddings=False)
    config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                            decoder=decoder.to_dict())
    model = MusicgenForConditionalGeneration(config).eval()
    with torch.no_grad():  # EnCodec's codebooks start at zero: every code would sound alike
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    model.generation_config.pad_token_id = 16
    model.generation_config.decoder_start_token_id = 16
    model.save_pretrained(folder, safe_serialization=True)
    tiny_tokenizer(folder)
    return folder


def build_stable_audio(folder: Path, seed: int = 0) -> Path:
    """A Stable Audio Open folder (DiT, Oobleck VAE at 4 Hz, T5 encoder, projection), the
    shapes of diffusers' own fast tests, saved with ``save_pretrained``."""
    import torch
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

    torch.manual_seed(seed)
    transformer = StableAudioDiTModel(
        sample_size=4, in_channels=3, num_layers=2, attention_head_dim=4,
        num_key_value_attention_heads=2, out_channels=3, cross_attention_dim=4,
        time_proj_dim=8, global_states_input_dim=8, cross_attention_input_dim=4)
    scheduler = CosineDPMSolverMultistepScheduler(
        solver_order=2, prediction_type="v_prediction", sigma_data=1.0,
        sigma_schedule="exponential")
    vae = AutoencoderOobleck(
        encoder_hidden_size=6, downsampling_ratios=[1, 2], decoder_channels=3,
        decoder_input_channels=3, audio_channels=2, channel_multiples=[2, 4], sampling_rate=4)
    text_encoder = T5EncoderModel(T5Config(vocab_size=16, d_model=4, d_kv=4, d_ff=8,
                                           num_layers=1, num_heads=1))
    tiny_tokenizer(folder / "tokenizer_src")
    tokenizer = PreTrainedTokenizerFast.from_pretrained(folder / "tokenizer_src",
                                                        model_max_length=25)
    projection = StableAudioProjectionModel(text_encoder_dim=4, conditioning_dim=4,
                                            min_value=0, max_value=32)
    pipe = StableAudioPipeline(transformer=transformer, scheduler=scheduler, vae=vae,
                               text_encoder=text_encoder, tokenizer=tokenizer,
                               projection_model=projection)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder
