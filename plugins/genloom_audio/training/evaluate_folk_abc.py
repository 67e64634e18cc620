"""Measure the bundled music model and render its WAV samples (after ``train_folk_abc.py``).

Over ``--seeds`` seeds (100 by default), each seed writes a tune through the plugin's own
generator code (``MusicGenerator.compose``: the same header, sampling and bar stop as
``audio.music``) with a header cycling through common tune types and keys, and reports:

- the share of tunes music21 parses (``symbolic.parse_abc``, the check ``audio.music``
  itself makes before it writes MIDI), and
- the share whose bars are consistent (``symbolic.bars_consistent``: every bar between the
  first and the last lasts what the meter says, allowing a pickup and its completing bar),

and, for reference, the same two shares over the held-out tunes of the corpus (the last 2%
of the token stream, as the training loop splits it). The figures go into ``eval.json``
and a section of ``MODEL_CARD.md``; ``samples/`` gets a few tunes as ABC, MIDI and WAV
(22.05 kHz mono, rendered by FluidSynth with the soundfont the card names).

Usage::

    python plugins/genloom_audio/training/evaluate_folk_abc.py --ckpt-dir /work/ckpt/music
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the plugins folder
sys.path.insert(0, str(HERE.parents[2] / "desktop"))  # genloom.sdk

from genloom.sdk import ModelRef, ParameterError, Request, RunState  # noqa: E402
from genloom_audio import abc_text, audio_io, gm, symbolic  # noqa: E402
from genloom_audio.music_generator import MusicGenerator  # noqa: E402
from genloom_audio.music_specs import music_generators  # noqa: E402

HEADERS = [("reel", "D", "major"), ("jig", "G", "major"), ("hornpipe", "A", "dorian"),
           ("waltz", "F", "major"), ("reel", "A", "minor"), ("slip jig", "E", "minor"),
           ("march", "C", "major"), ("polka", "D", "mixolydian"), ("air", "Bb", "major"),
           ("strathspey", "G", "major")]
SAMPLES = [(0, "Acoustic Grand Piano"), (1, "Flute"), (2, "Fiddle"), (3, "Accordion")]
MARK = "## Evaluation over 100 seeds"


def check(text: str) -> tuple[bool, bool]:
    try:
        score = symbolic.parse_abc(text, "tune")
    except ParameterError:
        return False, False
    return True, symbolic.bars_consistent(score)


def check_rebarred(text: str) -> bool:
    """Whether the tune has consistent bars after ``audio.music``'s regular-bars step."""
    try:
        score = symbolic.parse_abc(text, "tune")
        if symbolic.bars_consistent(score):
            return True
        return check(abc_text.as_tune(symbolic.rebar(text, score)))[1]
    except ParameterError:
        return False


def held_out(ckpt_dir: Path, tokenizer: object) -> list[str]:
    """The documents wholly inside the last 2% of the token stream."""
    with lzma.open(ckpt_dir / "corpus.jsonl.xz", "rt", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    lengths = [len(ids) + 1 for ids in tokenizer(docs, add_special_tokens=False)["input_ids"]]
    split = int(sum(lengths) * 0.98)
    out, position = [], 0
    for doc, length in zip(docs, lengths, strict=True):
        if position >= split:
            out.append(doc)
        position += length
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=HERE.parent / "models" / "folk-abc")
    parser.add_argument("--ckpt-dir", type=Path, default=Path("/work/ckpt/music"))
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--bars", type=int, default=16)
    args = parser.parse_args()
    spec = music_generators()[0]
    generator = MusicGenerator()
    generator.load(ModelRef(id="audio.folk-abc", path=str(args.model), source="bundled"),
                   "cpu", "float32")
    start = time.time()
    parsed = consistent = rebarred = 0
    rows = []
    for seed in range(args.seeds):
        tune_type, key, mode = HEADERS[seed % len(HEADERS)]
        params = spec.validate_params({"tune_type": tune_type, "key": key, "mode": mode,
                                       "bars": args.bars})
        header, body, _ = generator.prompt(Request("audio.music", params, seed))
        document = generator.compose(header, body, params, seed, RunState())
        ok, bars_ok = check(abc_text.as_tune(document))
        regular = check_rebarred(abc_text.as_tune(document))
        parsed += ok
        consistent += bars_ok
        rebarred += regular
        rows.append({"seed": seed, "type": tune_type, "parses": ok, "bars_consistent": bars_ok,
                     "bars_consistent_after_regular_bars": regular})
        print(json.dumps(rows[-1]), flush=True)
    minutes = (time.time() - start) / 60
    reference = held_out(args.ckpt_dir, generator.tokenizer)
    ref_checks = [check(abc_text.as_tune(doc)) for doc in reference]
    result = {
        "seeds": args.seeds, "bars": args.bars,
        "parse_share": parsed / args.seeds, "bars_consistent_share": consistent / args.seeds,
        "regular_bars_share": rebarred / args.seeds,
        "held_out_tunes": len(reference),
        "held_out_parse_share": sum(p for p, _ in ref_checks) / len(reference),
        "held_out_bars_consistent_share": sum(b for _, b in ref_checks) / len(reference),
        "minutes": round(minutes, 1), "rows": rows,
    }
    (args.model / "eval.json").write_text(json.dumps(result, indent=1))
    written = render_samples(generator, spec, args.model / "samples")
    write_card_section(args.model, result, written)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}), flush=True)


def render_samples(generator: MusicGenerator, spec: object, folder: Path) -> list[str]:
    folder.mkdir(exist_ok=True)
    lines = []
    for seed, instrument in SAMPLES:
        tune_type, key, mode = HEADERS[seed]
        params = spec.validate_params({  # type: ignore[attr-defined]
            "tune_type": tune_type, "key": key, "mode": mode, "bars": 16,
            "instrument": instrument, "sample_rate": 22050, "channels": 1,
            "renderer": "fluidsynth"})
        out = folder / f"tmp-{seed}"
        out.mkdir(exist_ok=True)
        wav, midi, abc = generator.run(Request("audio.music", params, seed, output_dir=out),
                                       RunState())
        stem = f"seed{seed}-{tune_type.replace(' ', '-')}-{gm.program_of(instrument)}"
        wav.path.replace(folder / f"{stem}.wav")
        midi.path.replace(folder / f"{stem}.mid")
        (folder / f"{stem}.abc").write_text(abc.text)
        out.rmdir()
        lines.append(f"- `samples/{stem}.wav` ({instrument}; {wav.metadata['duration']:.1f} s; "
                     f"soundfont {wav.metadata.get('soundfont')} sha256 "
                     f"{str(wav.metadata.get('soundfont_sha256'))[:16]}...), with `.mid` "
                     f"and `.abc`:\n\n```abc\n{abc.text}```")
    return lines


def write_card_section(model: Path, result: dict[str, object], samples: list[str]) -> None:
    card_path = model / "MODEL_CARD.md"
    card = card_path.read_text().split(MARK)[0].rstrip() + "\n\n"
    card += f"""{MARK}
`plugins/genloom_audio/training/evaluate_folk_abc.py` ({result['minutes']} minutes on one
CPU thread): {result['seeds']} seeds, {result['bars']} bars each, temperature 0.9, top-p
0.95, headers cycling through reel/jig/hornpipe/waltz/slip jig/march/polka/air/strathspey
in several keys and modes, written through `audio.music`'s own sampling code.

| | generated ({result['seeds']} seeds) | held-out corpus tunes ({result['held_out_tunes']}) |
|---|---|---|
| parse with music21 | {result['parse_share']:.0%} | {result['held_out_parse_share']:.0%} |
| consistent bar lengths, as the model wrote them | {result['bars_consistent_share']:.0%} | {result['held_out_bars_consistent_share']:.0%} |
| consistent bar lengths after `audio.music`'s "regular bars" step (on by default) | {result['regular_bars_share']:.0%} | |

"Consistent bar lengths": every bar between the first and the last lasts what the meter
says, allowing a pickup bar and the short bar that completes it at a section end. The
model itself rarely keeps its bars even; "regular bars" (`symbolic.rebar`) keeps its notes,
their lengths and order and places the bar lines by the meter (a short first bar stays a
pickup; repeats are written out once). Per-seed results are in `eval.json`.

## Samples
Rendered at 22.05 kHz mono by FluidSynth through `audio.music`
(renderer `fluidsynth`, loudness normalised to {audio_io.DEFAULT_LUFS:g} LUFS):

""" + "\n\n".join(samples) + "\n"
    card_path.write_text(card)


if __name__ == "__main__":
    main()
