"""Tiny real speech models built in the tests: a Piper voice, VITS and SpeechT5 folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Letters of eSpeak NG's English IPA plus Piper's own symbols: enough for any English text.
IPA = "abdefhijklmnopstuvwzæðŋɐɑɔəɚɛɜɡɪɹɾʃʊʌʒˈˌːθᵻ"
PIPER_SYMBOLS = ["_", "^", "$", " ", "!", "'", "(", ")", ",", "-", ".", ":", ";", "?", *IPA]


def tiny_piper_voice(folder: Path, speakers: tuple[str, ...] = ("alpha", "beta"),
                     sample_rate: int = 22050) -> Path:
    """A Piper voice (``.onnx`` + ``.onnx.json``) with random weights: the bundled voice's
    architecture at a tiny size, exported with Piper's inputs and outputs."""
    import torch

    from genloom_audio.training.speech_model import Acoustic, PiperVoice, Vocoder

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    id_map = {symbol: [i] for i, symbol in enumerate(PIPER_SYMBOLS)}
    voice = PiperVoice(Acoustic(len(id_map), len(speakers), dim=16),
                       Vocoder(dim=16, hidden=32, blocks=1),
                       torch.full((80,), -4.0), torch.ones(80)).eval()
    path = folder / "tiny-voice.onnx"
    ids = torch.tensor([[1, 0, 20, 0, 2]])
    torch.onnx.export(
        voice, (ids, torch.tensor([5]), torch.tensor([0.667, 1.0, 0.8]), torch.tensor([0])),
        str(path), dynamo=False, opset_version=17,
        input_names=["input", "input_lengths", "scales", "sid"], output_names=["output"],
        dynamic_axes={"input": {0: "batch", 1: "phonemes"}, "input_lengths": {0: "batch"},
                      "sid": {0: "batch"}, "output": {0: "batch", 2: "time"}})
    config = {
        "audio": {"sample_rate": sample_rate}, "espeak": {"voice": "en-us"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak", "phoneme_id_map": id_map, "num_symbols": len(id_map),
        "num_speakers": len(speakers),
        "speaker_id_map": {name: i for i, name in enumerate(speakers)},
        "language": {"code": "en_US"},
    }
    (folder / "tiny-voice.onnx.json").write_text(json.dumps(config, ensure_ascii=False))
    return path


VITS_VOCAB = ["<pad>", "<unk>", " ", *"abcdefghijklmnopqrstuvwxyz", "'", ",", ".", "?", "!"]


def tiny_vits(folder: Path, speakers: int = 1) -> Path:
    """An MMS-TTS-style VITS folder: ``VitsModel`` + a character ``VitsTokenizer``."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    config = VitsConfig(
        vocab_size=len(VITS_VOCAB), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ffn_dim=16, flow_size=8, spectrogram_bins=9, upsample_initial_channel=8,
        upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]], prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1,
        duration_predictor_filter_channels=8, duration_predictor_num_flows=1,
        depth_separable_num_layers=1, num_speakers=speakers,
        speaker_embedding_size=4 if speakers > 1 else 0, sampling_rate=16000)
    VitsModel(config).save_pretrained(folder)
    vocab = folder / "vocab.json"
    vocab.write_text(json.dumps({ch: i for i, ch in enumerate(VITS_VOCAB)}))
    VitsTokenizer(str(vocab), add_blank=True, normalize=True, phonemize=False,
                  is_uroman=False).save_pretrained(folder)
    return folder


def tiny_speecht5(folder: Path, vocoder_inside: bool = True, speaker_files: int = 0) -> Path:
    """A SpeechT5 text-to-speech folder with a char SentencePiece tokenizer, and its
    HiFi-GAN in ``vocoder/`` (or beside it as ``speecht5_hifigan``)."""
    import sentencepiece
    import torch
    from transformers import (
        SpeechT5Config,
        SpeechT5ForTextToSpeech,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        SpeechT5Tokenizer,
    )

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder.parent / "spm-corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog.\nhello, world? yes!\n" * 20)
    prefix = folder.parent / "spm"
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=40, model_type="char",
        bos_id=0, pad_id=1, eos_id=2, unk_id=3, character_coverage=1.0)
    tokenizer = SpeechT5Tokenizer(str(prefix) + ".model")
    tokenizer.save_pretrained(folder)
    config = SpeechT5Config(
        vocab_size=len(tokenizer) + 4, hidden_size=16, encoder_layers=1, encoder_attention_heads=2,
        encoder_ffn_dim=16, decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=16,
        num_mel_bins=8, speech_decoder_prenet_units=16, speech_decoder_postnet_units=16,
        speech_decoder_postnet_layers=2, speaker_embedding_dim=16, reduction_factor=2,
        max_speech_positions=400, max_text_positions=200, encoder_max_relative_position=16)
    SpeechT5ForTextToSpeech(config).save_pretrained(folder)
    vocoder_dir = folder / "vocoder" if vocoder_inside else folder.parent / "speecht5_hifigan"
    SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=8, upsample_initial_channel=16, upsample_rates=[2, 2],
        upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]], sampling_rate=16000,
        normalize_before=False)).save_pretrained(vocoder_dir)
    if speaker_files:
        speakers = folder / "speaker_embeddings"
        speakers.mkdir()
        rng = np.random.default_rng(0)
        for index in range(speaker_files):
            np.save(speakers / f"speaker{index}.npy", rng.standard_normal(16).astype(np.float32))
    return folder
