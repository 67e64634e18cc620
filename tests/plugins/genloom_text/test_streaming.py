"""TokenStream on real tokenizers: exact text, held-back stop sequences, linear cost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from genloom.sdk import RunState
from genloom.sdk.lm.streaming import TokenStream
from tests.plugins.genloom_text.tiny_models import ROOT, train_tokenizer

ACCENTS_AND_EMOJI = ("Crème brûlée for naïve señoras 🍮🎉, Ωμέγα и Ёж, 漢字かな, "
                     "👩‍👩‍👧‍👦 family and a flag 🇳🇿.\n\nDone ✅")


class CountingTokenizer:
    """Wraps a tokenizer, counting decode calls and the token ids they decode."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.calls = 0
        self.decoded = 0
        self.widest = 0

    def decode(self, ids: list[int], **kwargs: Any) -> str:
        self.calls += 1
        self.decoded += len(ids)
        self.widest = max(self.widest, len(ids))
        return self.tokenizer.decode(ids, **kwargs)


@pytest.fixture(scope="module")
def byte_bpe(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Byte-level BPE with 400 tokens: accents and emoji are split across several tokens."""
    return train_tokenizer(tmp_path_factory.mktemp("byte-bpe"))


@pytest.fixture(scope="module")
def sentencepiece_bpe() -> Any:
    """A Llama-style tokenizer: Metaspace, byte fallback, and a decoder that strips the
    leading space of the first token (so a window decodes differently from the whole)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"),
                                           normalizers.Replace(" ", "▁")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never",
                                                 split=False)
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    texts = (ROOT / "docs" / "architecture.md").read_text("utf-8").split("\n\n")
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<unk>", "</s>"], show_progress=False))
    # Byte-fallback tokens are ordinary vocabulary (not special: decoding keeps them).
    state = json.loads(tok.to_str())
    vocab = state["model"]["vocab"]
    for i in range(256):
        vocab.setdefault(f"<0x{i:02X}>", len(vocab))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
              for m in state["model"]["merges"]]
    tok.model = models.BPE(vocab, merges, byte_fallback=True, unk_token="<unk>")
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>")


def stream_all(tokenizer: Any, ids: list[int], stops: tuple[str, ...] = (),
               state: RunState | None = None) -> tuple[TokenStream, list[str], str]:
    pieces: list[str] = []
    stream = TokenStream(tokenizer, stops, lambda text, _n: pieces.append(text), state)
    for token in ids:
        if stream.push(token):
            break
    return stream, pieces, stream.finish("max_tokens")


def long_text() -> str:
    return (ROOT / "docs" / "architecture.md").read_text("utf-8") + "\n" + ACCENTS_AND_EMOJI


@pytest.mark.parametrize("name", ["byte_bpe", "sentencepiece_bpe"])
def test_pieces_add_up_to_the_decoded_text_with_split_multibyte_characters(request, name):
    tokenizer = request.getfixturevalue(name)
    ids = tokenizer(ACCENTS_AND_EMOJI, add_special_tokens=False)["input_ids"]
    # The tokenizer really does split characters across tokens.
    assert any("\ufffd" in tokenizer.decode([i]) for i in ids)
    stream, pieces, text = stream_all(tokenizer, ids)
    expected = tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    assert text == expected == "".join(pieces)
    assert expected.strip() == ACCENTS_AND_EMOJI  # (sentencepiece adds a leading space)
    assert not any("\ufffd" in piece for piece in pieces)
    assert len(pieces) == len(ids)  # one report per token, some of them empty


@pytest.mark.parametrize("name", ["byte_bpe", "sentencepiece_bpe"])
def test_the_cost_per_token_stays_flat_over_thousands_of_tokens(request, name):
    tokenizer = request.getfixturevalue(name)
    ids = tokenizer(long_text(), add_special_tokens=False)["input_ids"]
    assert len(ids) > 1000
    counting = CountingTokenizer(tokenizer)
    _, pieces, text = stream_all(counting, ids)
    assert text == "".join(pieces) == tokenizer.decode(ids, clean_up_tokenization_spaces=False)
    # Each token is decoded in a window of a few tokens, two or three times: linear in all.
    assert counting.calls <= 3 * len(ids)
    assert counting.decoded <= 6 * len(ids)
    assert counting.widest <= 12


def test_a_stop_sequence_is_cut_and_never_streamed_even_across_tokens(byte_bpe):
    text = "Genloom streams tokens. ### The end 🎉 after the stop."
    ids = byte_bpe(text, add_special_tokens=False)["input_ids"]
    for stop in ("###", " The end 🎉", "🎉", "ns. ##"):
        stream, pieces, final = stream_all(byte_bpe, ids, (stop, "never seen"))
        assert final == text[:text.index(stop)] == "".join(pieces), stop
        assert stream.stop_reason == "stop_sequence"
        assert len(stream.ids) < len(ids)


def test_a_stop_sequence_is_found_as_soon_as_its_last_token_arrives(byte_bpe):
    text = "one two three four five six seven eight"
    ids = byte_bpe(text, add_special_tokens=False)["input_ids"]
    stream, _, final = stream_all(byte_bpe, ids, ("four",))
    assert final == "one two three "
    # No token beyond the one that completed "four" was taken.
    assert byte_bpe.decode(stream.ids[:-1]).find("four") < 0 <= byte_bpe.decode(stream.ids).find("four")


def test_a_stop_sequence_far_into_a_long_text_is_found(byte_bpe):
    text = long_text() + " STOP-HERE and more"
    ids = byte_bpe(text, add_special_tokens=False)["input_ids"]
    counting = CountingTokenizer(byte_bpe)
    _, pieces, final = stream_all(counting, ids, ("STOP-HERE",))
    assert final == "".join(pieces) == byte_bpe.decode(ids)[:byte_bpe.decode(ids).index("STOP-HERE")]
    assert counting.widest <= 12


def test_a_cancel_stops_at_the_next_token_and_keeps_the_text(byte_bpe):
    ids = byte_bpe(ACCENTS_AND_EMOJI, add_special_tokens=False)["input_ids"]
    state = RunState()
    pieces: list[str] = []
    stream = TokenStream(byte_bpe, (), lambda text, n: pieces.append(text), state)
    for i, token in enumerate(ids):
        if i == 9:
            state.cancel()
        if stream.push(token):
            break
    assert len(stream.ids) == 10 and stream.stop_reason == "cancelled"
    final = stream.finish("max_tokens")
    assert stream.stop_reason == "cancelled"
    assert final == "".join(pieces) == byte_bpe.decode(ids[:10])


def test_a_character_cut_off_by_the_last_token_is_flushed_as_decoded(byte_bpe):
    ids = byte_bpe("ok 🎉", add_special_tokens=False)["input_ids"]
    cut = next(n for n in range(len(ids), 0, -1) if byte_bpe.decode(ids[:n]).endswith("\ufffd"))
    _, pieces, final = stream_all(byte_bpe, ids[:cut])
    assert final == "".join(pieces) == byte_bpe.decode(ids[:cut])


@pytest.mark.parametrize("name", ["byte_bpe", "sentencepiece_bpe"])
def test_special_tokens_inside_the_text_are_skipped_as_in_a_whole_decode(request, name):
    tokenizer = request.getfixturevalue(name)
    ids = tokenizer(ACCENTS_AND_EMOJI, add_special_tokens=False)["input_ids"]
    special = tokenizer.eos_token_id
    mixed = [special, special] + [x for i in ids for x in ((i, special) if i % 3 else (i,))]
    _, pieces, text = stream_all(tokenizer, mixed)
    assert text == "".join(pieces) == tokenizer.decode(
        mixed, skip_special_tokens=True, clean_up_tokenization_spaces=False)
