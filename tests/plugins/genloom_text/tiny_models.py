"""Tiny random causal LMs built from configs, with tokenizers trained offline on local text.

They are saved with ``save_pretrained`` (safetensors) into a temp folder, so the plugins
load them through exactly the user-model path.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EOS = "<|endoftext|>"
FIM = ["<fim_prefix>", "<fim_middle>", "<fim_suffix>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def local_text() -> list[str]:
    """Paragraphs to train the tiny tokenizers on: a fixed snapshot of the repository's docs
    and SDK sources (tests/fixtures/tokenizer_corpus.json), so that the tokenizers, and the
    texts the seeded tests generate with them, do not change whenever the docs do."""
    return json.loads((ROOT / "tests" / "fixtures" / "tokenizer_corpus.json").read_text(
        encoding="utf-8"))


def train_tokenizer(out: Path, *, fim: bool = False, chat_template: str | None = None,
                    vocab_size: int = 400) -> object:
    """A byte-level BPE tokenizer trained on :func:`local_text`, saved in ``out``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = [EOS, *(FIM if fim else [])]
    tok.train_from_iterator(local_text(), trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, bos_token=EOS,
                                   pad_token=EOS, additional_special_tokens=specials[1:] or None)
    if chat_template:
        fast.chat_template = chat_template
    fast.save_pretrained(out)
    return fast


def build_llama(out: Path, *, fim: bool = False, chat_template: str | None = CHAT_TEMPLATE,
                seed: int = 0) -> Path:
    """A 2-layer random Llama (hidden 32) with its tokenizer in ``out``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = train_tokenizer(out, fim=fim, chat_template=chat_template)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=256, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.bos_token_id, pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(config)
    _sharpen(model)
    model.save_pretrained(out, safe_serialization=True)
    return out


def build_gpt2(out: Path, *, seed: int = 0) -> Path:
    """A 2-layer random GPT-2 (hidden 32, context 128, no chat template) in ``out``."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = train_tokenizer(out)
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2,
                        n_positions=128, eos_token_id=tokenizer.eos_token_id,
                        bos_token_id=tokenizer.bos_token_id)
    model = GPT2LMHeadModel(config)
    _sharpen(model)
    model.save_pretrained(out, safe_serialization=True)
    return out


def _sharpen(model: object) -> None:
    """Scale the output layer up so that sampling is not uniform noise and greedy
    decoding has clear winners (a freshly initialised model's logits are all near 0)."""
    import torch

    with torch.no_grad():
        head = model.get_output_embeddings()
        head.weight.mul_(20.0)
