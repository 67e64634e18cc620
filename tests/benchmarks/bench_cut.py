"""A 60-shot, five-minute draft cut from stills, voice and music, against real time and
against ffmpeg concatenating the same shots prepared as clips.

The cut is rendered by ``render_cut``, the function the worker's ``board.draft_cut``
job runs (in-process here: the job adds a process hop and hashing, not rendering):
640x360 at 24 fps, a Ken Burns move on each still, burnt-in shot numbers, a voice
line on every other shot, a 30 s music bed looped and ducked under the voice.

Baselines measured in the same run: the cut's length (real time), and the system
``ffmpeg`` concatenating the 60 shots already rendered as clips (the same frames,
made outside the timing) with the same mixed sound, once re-encoding with libx264
at the same settings (crf 18, preset medium: the same encoding work without the
picture and sound work) and once copying the streams (the floor: muxing alone).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.benchmarks._report import report

SHOTS, SECONDS, WIDTH, HEIGHT, FPS = 60, 5.0, 640, 360, 24
MOVES = ("zoom-in", "pan-left", "static", "zoom-out", "pan-right", "tilt-up", "tilt-down")


def _prepare(folder: Path) -> tuple[dict, dict]:
    import soundfile
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    files: dict[str, tuple[str, Path]] = {}
    shots, voices = [], []
    for i in range(SHOTS):
        image = Image.fromarray(rng.integers(0, 255, (27, 48, 3), np.uint8)).resize(
            (768, 432), Image.Resampling.BICUBIC)
        ImageDraw.Draw(image).ellipse((300, 150, 468, 282), fill=(240, 220, 180))
        path = folder / f"still{i}.png"
        image.save(path)
        files[f"image.{i}"] = ("image", path)
        shots.append({"id": i + 1, "number": i + 1, "start": i * SECONDS, "duration": SECONDS,
                      "camera": MOVES[i % len(MOVES)], "description": f"shot {i + 1}",
                      "picture": f"image.{i}"})
        if i % 2 == 0:
            t = np.arange(int(2.0 * 22050)) / 22050
            voice = (0.4 * np.sin(2 * np.pi * (180 + i) * t) * np.sin(np.pi * t / 2.0))
            path = folder / f"voice{i}.wav"
            soundfile.write(path, voice.astype(np.float32), 22050)
            files[f"audio.{i}"] = ("audio", path)
            voices.append({"role": f"audio.{i}", "start": i * SECONDS, "length": 2.0})
    t = np.arange(30 * 44100) / 44100
    music = 0.3 * np.sin(2 * np.pi * 110 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    soundfile.write(folder / "music.wav", np.stack([music, music], 1).astype(np.float32), 44100)
    files["audio.music"] = ("audio", folder / "music.wav")
    plan = {"board": 1, "name": "Benchmark", "duration": SHOTS * SECONDS, "shots": shots,
            "voices": voices, "music": [{"role": "audio.music", "start": 0.0,
                                         "length": SHOTS * SECONDS}]}
    return plan, files


def main() -> None:
    from genloom.core.boards.render import AUDIO_RATE, mix_audio, render_cut
    from genloom.sdk.video import probe, write_video

    ffmpeg = shutil.which("ffmpeg")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan, files = _prepare(folder)
        length = SHOTS * SECONDS
        start = time.perf_counter()
        info = render_cut(plan, files, folder / "cut.mp4", width=WIDTH, height=HEIGHT, fps=FPS)
        cut_s = time.perf_counter() - start
        assert abs(probe(folder / "cut.mp4").duration - length) <= 1 / FPS + 1e-6
        note = f"{SHOTS} shots, {length:g} s, {WIDTH}x{HEIGHT}@{FPS}, {info['codec']}"
        report("draft cut (render_cut)", cut_s, "real time of the cut", length, note, goal=1.0)
        if ffmpeg is None:
            print("ffmpeg is not installed: the concat baseline is skipped", flush=True)
            return
        # The same shots as clips (outside the timing), and the same sound as a file.
        from genloom.core.boards.render import _shot_frames

        listing = folder / "list.txt"
        lines = []
        for index, shot in enumerate(plan["shots"]):
            frames = list(_shot_frames(shot, files, WIDTH, HEIGHT, FPS, int(SECONDS * FPS), True))
            clip = folder / f"shot{index}.mp4"
            write_video(clip, frames, FPS)
            lines.append(f"file '{clip.name}'")
        listing.write_text("\n".join(lines) + "\n")
        import soundfile

        soundfile.write(folder / "mix.wav", mix_audio(plan, files, length, 0.0, -14.0, -12.0),
                        AUDIO_RATE)
        base = [ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                "-i", str(folder / "mix.wav")]
        start = time.perf_counter()
        subprocess.run([*base, "-c:v", "libx264", "-preset", "medium", "-crf", "18",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                        str(folder / "concat.mp4")], check=True)
        encode_s = time.perf_counter() - start
        report("draft cut (render_cut)", cut_s, "ffmpeg concat, re-encoded", encode_s, note)
        start = time.perf_counter()
        subprocess.run([*base, "-c:v", "copy", "-c:a", "aac", "-shortest",
                        str(folder / "copy.mp4")], check=True)
        copy_s = time.perf_counter() - start
        report("draft cut (render_cut)", cut_s, "ffmpeg concat, streams copied", copy_s, note)


if __name__ == "__main__":
    main()
