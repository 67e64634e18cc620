"""Streaming generated tokens as text: stop sequences, held-back text, progress reports.

:class:`TokenStream` is backend-neutral: the torch backend feeds it through a transformers
streamer (:func:`hf_streamer`) and stops through a ``StoppingCriteria``
(:func:`hf_stopping_criteria`); the ONNX Runtime loop feeds it directly. Either way the
caller gets the same ``state.progress(..., partial_text=...)`` reports, in order, and
the concatenated partial texts equal the final text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genloom.sdk import RunState

#: ``on_text(new_text, tokens_so_far)``
TextCallback = Callable[[str, int], None]


class TokenStream:
    """Turns token ids into text as they arrive; finds stop sequences.

    Text that might be the start of a stop sequence (or half of a multi-byte
    character) is held back until it is certain, so nothing after a stop
    sequence is ever streamed.
    """

    def __init__(self, tokenizer: Any, stops: tuple[str, ...], on_text: TextCallback,
                 state: RunState | None = None) -> None:
        self.tokenizer = tokenizer
        self.stops = tuple(s for s in stops if s)
        self.holdback = max((len(s) for s in self.stops), default=1) - 1
        self.on_text = on_text
        self.state = state
        self.ids: list[int] = []
        self.text = ""
        self.emitted = 0
        self.stop_reason = ""

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
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True,
                                     clean_up_tokenization_spaces=False)
        cut = self._find_stop(text)
        if cut is not None:
            self.text = text[:cut]
            self.stop_reason = "stop_sequence"
            self._emit(len(self.text))
            return True
        self.text = text
        safe = len(text) - self.holdback
        if text.endswith("\ufffd"):  # an incomplete UTF-8 character: wait for the rest
            safe = min(safe, len(text) - 1)
        self._emit(safe)
        return self.should_stop

    def _find_stop(self, text: str) -> int | None:
        start = max(0, self.emitted - self.holdback)
        hits = [i for i in (text.find(s, start) for s in self.stops) if i >= 0]
        return min(hits) if hits else None

    def _emit(self, upto: int) -> None:
        if upto > self.emitted:
            chunk = self.text[self.emitted:upto]
            self.emitted = upto
            self.on_text(chunk, len(self.ids))
        else:
            self.on_text("", len(self.ids))

    def finish(self, reason: str = "") -> str:
        """Flush held-back text; return the final text."""
        if not self.stop_reason:
            self.stop_reason = reason
        if len(self.text) > self.emitted:
            chunk = self.text[self.emitted:]
            self.emitted = len(self.text)
            self.on_text(chunk, len(self.ids))
        return self.text


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
