"""Streaming generated tokens as text: stop sequences, held-back text, progress reports.

:class:`TokenStream` is backend-neutral: the torch backend feeds it through a transformers
streamer (:func:`hf_streamer`) and stops through a ``StoppingCriteria``
(:func:`hf_stopping_criteria`); the ONNX Runtime loop feeds it directly. Either way the
caller gets the same ``state.progress(..., partial_text=...)`` reports, in order, and
the concatenated partial texts equal the final text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from genloom.sdk import RunState

#: A line that starts in the first column with something other than white space.
_TOP_LEVEL = re.compile(r"\n(?=[^\s])")

#: ``on_text(new_text, tokens_so_far)``
TextCallback = Callable[[str, int], None]


class TokenStream:
    """Turns token ids into text as they arrive; finds stop sequences.

    Text that might be the start of a stop sequence (or half of a multi-byte
    character) is held back until it is certain, so nothing after a stop
    sequence is ever streamed.

    Each token costs the same however long the text grows: only a short window of recent
    tokens is decoded (incremental detokenisation, as in transformers'
    ``TextIteratorStreamer`` and text-generation-inference), and stop sequences are looked
    for only in the held-back tail and the new text.
    """

    def __init__(self, tokenizer: Any, stops: tuple[str, ...], on_text: TextCallback,
                 state: RunState | None = None, skip: str = "", *, stop_at_top_level: bool = False) -> None:
        self.tokenizer = tokenizer
        # Text the generation starts with that is not part of it: the prompt's end that
        # token healing took off (the first token is constrained to begin with it).
        self._skip = skip
        self.stops = tuple(s for s in stops if s)
        self.holdback = max((len(s) for s in self.stops), default=1) - 1
        # Code completion inside a block ends where the code returns to the top level: a
        # newline followed by a non-blank character in the first column. The newline is
        # held back until the next character shows whether it starts such a line.
        self.stop_at_top_level = stop_at_top_level
        if stop_at_top_level:
            self.holdback = max(self.holdback, 1)
        self.on_text = on_text
        self.state = state
        self.ids: list[int] = []
        self.stop_reason = ""
        # ids[_prefix:_read] decode to _prefix_text, already in the text: the context that
        # the next tokens are decoded after; ids[_read:] are not in the text yet.
        self._prefix = 0
        self._read = 0
        self._prefix_text = ""
        self._streamed: list[str] = []  # the pieces passed to on_text
        self._held = ""  # text after the streamed pieces, not streamed yet

    @property
    def text(self) -> str:
        """The text so far (streamed and held back)."""
        return "".join(self._streamed) + self._held

    @property
    def should_stop(self) -> bool:
        """True once a stop sequence was seen or the job was cancelled."""
        if self.stop_reason:
            return True
        if self.state is not None and self.state.cancelled:
            self.stop_reason = "cancelled"
            return True
        return False

    def push(self, token_id: int) -> bool:
        """Add one token; return True when generation should stop."""
        if self.stop_reason:
            return True
        self.ids.append(int(token_id))
        new = self._decode_new()
        complete = not new.endswith("\ufffd")  # else an incomplete UTF-8 character: wait
        piece, skip_left = self._strip_skip(new if complete else new.rstrip("\ufffd"))
        text = self._held + piece
        cut = self._find_stop(text)
        if cut is not None:
            self._held = text[:cut]
            self.stop_reason = "stop_sequence"
            self._emit(len(self._held))
            return True
        if complete:
            self._held, self._skip = text, skip_left
            self._advance()
        self._emit(len(self._held) - self.holdback)
        return self.should_stop

    def finish(self, reason: str = "") -> str:
        """Flush held-back text; return the final text."""
        if not self.stop_reason:
            self.stop_reason = reason
        if self.stop_reason != "stop_sequence" and self._read < len(self.ids):
            piece, self._skip = self._strip_skip(self._decode_new())
            self._held += piece  # a last incomplete character, as decoded
            self._advance()
        if self._held:
            self._emit(len(self._held))
        return self.text

    def _strip_skip(self, new: str) -> tuple[str, str]:
        """``new`` without what is left of the skipped start, and what is left after it
        (taken as read only once the text is committed)."""
        if not self._skip or not new:
            return new, self._skip
        n = min(len(self._skip), len(new))
        if new[:n] != self._skip[:n]:  # cannot happen with a constrained first token
            return new, ""
        return new[n:], self._skip[n:]

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True,
                                     clean_up_tokenization_spaces=False)

    def _decode_new(self) -> str:
        """The text of ids[_read:], decoded after the context of ids[_prefix:_read]."""
        return self._decode(self.ids[self._prefix:])[len(self._prefix_text):]

    def _advance(self) -> None:
        """Take the ids not yet in the text as in it; they become the next context, unless
        they make no text (skipped special tokens): a decoder that treats the first token
        differently (SentencePiece's leading space) needs a context that writes something."""
        context = self._decode(self.ids[self._read:])
        if context:
            self._prefix, self._prefix_text = self._read, context
        else:
            self._prefix_text = self._decode(self.ids[self._prefix:])
        self._read = len(self.ids)

    def _find_stop(self, text: str) -> int | None:
        # A stop sequence starting in the streamed text would have ended within the
        # held-back text before, and been found then: only ``text`` needs looking at.
        hits = [i for i in (text.find(s) for s in self.stops) if i >= 0]
        if self.stop_at_top_level:
            found = _TOP_LEVEL.search(text)
            if found is not None:
                hits.append(found.start() + 1)  # keep the newline that ends the block's last line
        return min(hits) if hits else None

    def _emit(self, upto: int) -> None:
        if upto > 0:
            chunk, self._held = self._held[:upto], self._held[upto:]
            self._streamed.append(chunk)
            self.on_text(chunk, len(self.ids))
        else:
            self.on_text("", len(self.ids))


def hf_streamer(stream: TokenStream) -> Any:
    """A transformers streamer that feeds ``stream`` (the first ``put`` is the prompt)."""
    from transformers.generation.streamers import BaseStreamer

    class _Streamer(BaseStreamer):
        def __init__(self) -> None:
            self.prompt_seen = False

        def put(self, value: Any) -> None:
            if not self.prompt_seen:
                self.prompt_seen = True
                return
            for token in value.reshape(-1).tolist():
                stream.push(token)

        def end(self) -> None:
            pass

    return _Streamer()


def hf_stopping_criteria(stream: TokenStream) -> Any:
    """A ``StoppingCriteriaList`` that stops within one token of a cancel or a stop sequence."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), stream.should_stop, dtype=torch.bool,
                              device=input_ids.device)

    return StoppingCriteriaList([_Stop()])
