"""``audio.music``: a tune written in ABC by a language model, kept as ABC and MIDI, and
rendered to audio through a General MIDI soundfont.

The model (the bundled ``audio.folk-abc`` or any transformers causal LM trained on the same
header format) continues a header built from the parameters (``abc_text.build_header``),
or a tune given as ABC or MIDI. Sampling is a plain loop over the model with its
key/value cache: one token per step, so the partial ABC streams as it is written and a
cancel takes effect within one token. The end-of-tune token is held back until the asked
number of bars is written; the tune stops at the bar line that completes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import InputAsset, InputError, ModelRef, Output, ParameterError, Request, RunState
from genloom_audio import abc_text, audio_io, gm, render, symbolic

TOKENS_PER_BAR = 24  # generous: the folk model averages about 10 tokens a bar
MAX_PROMPT_TOKENS = 1024


class MusicGenerator:
    """Load an ABC language model once; each run writes, checks and renders one tune."""

    def __init__(self) -> None:
        self.model: Any = None
        self.tokenizer: Any = None
        self.model_ref: ModelRef | None = None
        self.device = "cpu"

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        if model is None:
            raise InputError("audio.music needs an ABC music model; choose the bundled "
                             "'audio.folk-abc' model")
        from genloom.sdk.lm.loading import load_tokenizer, load_torch_model
        from genloom.sdk.lm.model_folder import open_folder

        folder = open_folder(model)
        self.tokenizer = load_tokenizer(folder)
        self.model = load_torch_model(folder, device, dtype)
        self.model_ref, self.device = model, device

    def unload(self) -> None:
        self.model = None
        self.tokenizer = None

    # -- a run ---------------------------------------------------------------------

    def run(self, request: Request, state: RunState) -> list[Output]:
        p = request.params
        check_music_params(p)
        program = gm.program_of(p["instrument"])
        header, given_body, source = self.prompt(request)
        document = self.compose(header, given_body, p, request.seed, state)
        tune_text = abc_text.as_tune(document, title=_title(p, source))
        name = _asset_name(p, source)
        if state.cancelled:  # keep what was written; the user may keep or discard it
            return [Output(kind="text", text=tune_text, suffix=".abc", partial=True,
                           metadata={"format": "abc", "stop_reason": "cancelled"},
                           title=f"{name} (ABC)")]
        repaired = False
        try:
            score = symbolic.parse_abc(tune_text, "generated tune")
        except ParameterError:
            tune_text, score = _repair(tune_text)
            repaired = True
        model_bars_ok = symbolic.bars_consistent(score)
        rebarred = False
        if p["regular_bars"] and not model_bars_ok:
            tune_text = abc_text.as_tune(symbolic.rebar(tune_text, score),
                                         title=_title(p, source))
            score = symbolic.parse_abc(tune_text, "rebarred tune")
            rebarred = True
        tempo = _tempo(p)
        midi_bytes = symbolic.score_to_midi(score, program, tempo)
        state.progress(0, 1, "rendering the tune to audio")

        def step(done: int, total: int) -> None:
            state.raise_if_cancelled()
            state.progress(done, max(total, 1), "rendering the tune to audio")

        rendered = render.render(midi_bytes, sample_rate=p["sample_rate"],
                                 renderer=p["renderer"], soundfont=p["soundfont"], step=step)
        audio = audio_io.as_channels(rendered.audio, p["channels"])
        audio, loudness = audio_io.normalise(audio, p["sample_rate"], p["normalise"],
                                             p["target_lufs"])
        out_dir = Path(request.output_dir)
        wav = audio_io.write_wav(out_dir / "tune.wav", audio, p["sample_rate"])
        (out_dir / "tune.mid").write_bytes(midi_bytes)
        symbolic_meta = {
            "bars": symbolic.count_bars(_body_of(tune_text)),
            "bars_consistent": symbolic.bars_consistent(score),
            "model_bars_consistent": model_bars_ok, "rebarred": rebarred,
            "repaired": repaired, "program": program, "instrument": gm.GM_PROGRAMS[program],
            "continued_from": source,
        }
        from genloom.sdk.placement import model_runtime

        audio_meta = {**audio_io.audio_metadata(audio, p["sample_rate"]), **rendered.info,
                      **loudness, **symbolic_meta, "runtime": model_runtime(self.model, self.device)}
        if "renderer_note" in rendered.info:
            state.progress(1, 1, rendered.info["renderer_note"])
        return [
            Output(kind="audio", path=wav, suffix=".wav", metadata=audio_meta, title=name),
            Output(kind="audio", path=out_dir / "tune.mid", suffix=".mid",
                   metadata={"format": "midi", **symbolic_meta}, title=f"{name} (MIDI)"),
            Output(kind="text", text=tune_text, suffix=".abc",
                   metadata={"format": "abc", **symbolic_meta}, title=f"{name} (ABC)"),
        ]

    def prompt(self, request: Request) -> tuple[str, str, str]:
        """(header, body given to continue, where it came from) for a request."""
        p = request.params
        tune = _given_tune(request)
        if tune is None:
            meter = p["meter"] if p["meter"] != "auto" else _type_meter(p["tune_type"])
            header = abc_text.build_header(
                tune_type=_type_name(p["tune_type"]), meter=meter, tempo=_tempo(p),
                key=abc_text.key_field(p["key"], p["mode"]))
            return header, "", ""
        parsed, source = tune
        header = abc_text.build_header(
            tune_type=_type_name(p["tune_type"]), meter=parsed.meter, tempo=_tempo(p),
            key=parsed.key).replace(f"L:{abc_text.unit_length(parsed.meter)}\n",
                                    f"L:{parsed.unit}\n")
        return header, parsed.body, source

    def compose(self, header: str, given_body: str, p: dict[str, Any], seed: int,
                state: RunState) -> str:
        """Sample the tune body token by token; returns header + body."""
        import torch

        prefix = header + given_body
        ids = self.tokenizer(prefix, add_special_tokens=False).input_ids
        if len(ids) > MAX_PROMPT_TOKENS:
            ids = ids[:len(self.tokenizer(header).input_ids)] + ids[-(MAX_PROMPT_TOKENS // 2):]
        bars = int(p["bars"])
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        state.progress(0, bars, "writing the tune", partial_text=prefix)
        threads = torch.get_num_threads()
        if self.device == "cpu":
            # One token of a small model is a few small matrix products: extra threads
            # only wait on each other (measured 13x slower with 2 threads on a busy CPU).
            torch.set_num_threads(1)
        try:
            text = self._sample_loop(ids, given_body, p, generator, state)
        finally:
            torch.set_num_threads(threads)
        body = given_body + text
        if not _ends_at_bar(body):
            body = body.rstrip() + "|]"
        return header + body.rstrip() + "\n"

    def _sample_loop(self, ids: list[int], given_body: str, p: dict[str, Any],
                     generator: Any, state: RunState) -> str:
        import torch

        bars = int(p["bars"])
        max_new = bars * TOKENS_PER_BAR + 16
        context = int(getattr(self.model.config, "max_position_embeddings", 0) or 0)
        eos = self.tokenizer.eos_token_id
        temperature = float(p["temperature"])
        generated: list[int] = []
        text = ""
        past, cached = None, 0
        current = torch.tensor([ids], device=self.device)
        with torch.inference_mode():
            for _ in range(max_new):
                if state.cancelled:
                    break
                if context and cached + current.shape[1] > context:
                    # past the model's context: start again from the last half of it
                    past, cached = None, 0
                    current = torch.tensor([(ids + generated)[-(context // 2):]],
                                           device=self.device)
                out = self.model(input_ids=current, cache=past, use_cache=True)
                past, cached = out.cache, cached + current.shape[1]
                logits = out.logits[0, -1].float().cpu()
                done_bars = symbolic.count_bars(_strip_lead(given_body + text)) - \
                    symbolic.count_bars(_strip_lead(given_body))
                if done_bars < bars and eos is not None:
                    logits[eos] = float("-inf")
                token = _sample(logits, temperature, float(p["top_p"]), generator)
                if token == eos:
                    break
                generated.append(token)
                new_text = self.tokenizer.decode(generated)
                delta, text = new_text[len(text):], new_text
                done_bars = symbolic.count_bars(_strip_lead(given_body + text)) - \
                    symbolic.count_bars(_strip_lead(given_body))
                state.progress(min(done_bars, bars), bars, f"bar {min(done_bars, bars)} "
                               f"of {bars}", partial_text=delta)
                if done_bars >= bars and _ends_at_bar(text):
                    break
                current = torch.tensor([[token]], device=self.device)
        return text


def check_music_params(p: dict[str, Any]) -> None:
    """What the spec's types cannot say: rates, channels, the instrument, the loudness
    target, the soundfont file. Cheap: also the spec's queue-time ``check``."""
    audio_io.check_sample_rate(p["sample_rate"])
    audio_io.check_channels(p["channels"])
    gm.program_of(p["instrument"])
    if p["normalise"] == "loudness":
        audio_io.check_lufs(p["target_lufs"])
    if p.get("soundfont"):
        render.find_soundfont(p["soundfont"])


def _sample(logits: Any, temperature: float, top_p: float, generator: Any) -> int:
    import torch

    if temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        ordered, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(ordered, 0) - ordered < top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], ordered[keep])
    return int(torch.multinomial(probs, 1, generator=generator))


def _given_tune(request: Request) -> tuple[symbolic.AbcTune, str] | None:
    """The tune to continue: ``abc`` text, an ABC asset (``abc_tune``) or a MIDI asset
    (``tune``); at most one."""
    p = request.params
    given = [name for name in ("abc", "abc_tune", "tune")
             if (p.get(name) if name == "abc" else request.inputs.get(name))]
    if len(given) > 1:
        raise ParameterError(given[1], "given", f"cannot be continued together with {given[0]}",
                             "give one tune to continue")
    if not given:
        return None
    if given[0] == "abc":
        return symbolic.split_abc(p["abc"], "abc"), "abc parameter"
    asset: InputAsset = request.inputs[given[0]]
    data = Path(asset.path).read_bytes()
    if given[0] == "abc_tune":
        text = data.decode("utf-8", errors="replace")
        tune = symbolic.split_abc(text, "abc_tune")
        symbolic.parse_abc(abc_text.as_tune(tune.document), "abc_tune")
        return tune, f"asset {asset.asset_id}"
    return symbolic.midi_to_abc(data, "tune"), f"asset {asset.asset_id}"


def _repair(tune_text: str) -> tuple[str, Any]:
    """Cut a tune music21 cannot read back to its last readable line."""
    lines = tune_text.rstrip("\n").split("\n")
    while len(lines) > 5:
        lines.pop()
        candidate = "\n".join(lines).rstrip("|: ") + "|]\n"
        try:
            return candidate, symbolic.parse_abc(candidate, "generated tune")
        except ParameterError:
            continue
    raise InputError("the model wrote a tune music21 cannot read, even cut short; "
                     "try another seed or a lower temperature")


def _strip_lead(body: str) -> str:
    return body.lstrip(" \n|:[]")


def _ends_at_bar(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and bool(symbolic.BAR_LINE.search(stripped[-3:]))


def _body_of(tune_text: str) -> str:
    return tune_text.split("\nK:", 1)[-1].split("\n", 1)[-1]


def _type_name(value: str) -> str:
    return "" if value == "any" else value


def _type_meter(value: str) -> str:
    return abc_text.TUNE_TYPES[value][0] if value in abc_text.TUNE_TYPES else "4/4"


def _tempo(p: dict[str, Any]) -> int:
    if p["tempo"]:
        return int(p["tempo"])
    return abc_text.TUNE_TYPES[p["tune_type"]][1] if p["tune_type"] in abc_text.TUNE_TYPES \
        else 120


def _title(p: dict[str, Any], source: str) -> str:
    kind = _type_name(p["tune_type"]) or "tune"
    return f"Genloom {kind}" + (" (continued)" if source else "")


def _asset_name(p: dict[str, Any], source: str) -> str:
    """What the gallery calls the tune's assets (the tune makes no prompt to show):
    "Genloom reel in D major"; a continued tune keeps the key of the one it continues."""
    return _title(p, source) if source else f"{_title(p, source)} in {p['key']} {p['mode']}"


class RenderMidiGenerator:
    """``audio.render_midi``: a MIDI asset played by FluidSynth (or the plain fallback)
    with its own instruments or one General MIDI instrument; no model, no seed."""

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        """Nothing to load: the synthesiser starts per render."""

    def unload(self) -> None:
        """Nothing to free."""

    def run(self, request: Request, state: RunState) -> list[Output]:
        p = request.params
        check_render_params(p)
        asset = request.inputs.get("midi")
        if asset is None:
            raise ParameterError("midi", "missing", "is required",
                                 "choose a MIDI asset (import a .mid file first)")
        data = Path(asset.path).read_bytes()
        symbolic.read_midi(data, "midi")
        if p["instrument"] != KEEP_INSTRUMENTS:
            data = symbolic.with_program(data, gm.program_of(p["instrument"]))

        def step(done: int, total: int) -> None:
            state.raise_if_cancelled()
            state.progress(done, max(total, 1), "rendering")

        rendered = render.render(data, sample_rate=p["sample_rate"], renderer=p["renderer"],
                                 soundfont=p["soundfont"], step=step)
        audio = audio_io.as_channels(rendered.audio, p["channels"])
        audio, loudness = audio_io.normalise(audio, p["sample_rate"], p["normalise"],
                                             p["target_lufs"])
        wav = audio_io.write_wav(Path(request.output_dir) / "render.wav", audio,
                                 p["sample_rate"])
        if "renderer_note" in rendered.info:
            state.progress(1, 1, rendered.info["renderer_note"])
        return [Output(kind="audio", path=wav, suffix=".wav", metadata={
            **audio_io.audio_metadata(audio, p["sample_rate"]), **rendered.info, **loudness,
            "instrument": p["instrument"]})]


KEEP_INSTRUMENTS = "as in the file"


def check_render_params(p: dict[str, Any]) -> None:
    """Queue-time checks of ``audio.render_midi``."""
    audio_io.check_sample_rate(p["sample_rate"])
    audio_io.check_channels(p["channels"])
    if p["instrument"] != KEEP_INSTRUMENTS:
        gm.program_of(p["instrument"])
    if p["normalise"] == "loudness":
        audio_io.check_lufs(p["target_lufs"])
    if p.get("soundfont"):
        render.find_soundfont(p["soundfont"])
