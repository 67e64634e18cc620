"""Video speed and memory: the plugin against diffusers, PyAV against ffmpeg, the animatic's rate.

Run it with ``python tests/benchmarks/bench_video.py`` (or ``python -m tests.benchmarks video``).

- *plugin text-to-video, warm*: ``video.text_to_video`` on the bundled models (AnimateDiff on
  emoji-ldm-32 with the bundled adapter; 8 frames, 32x32, 10 steps, guidance 7.5), run
  through ``TextToVideo.run`` (checks, progress, the MP4 written), against calling the same
  loaded ``AnimateDiffPipeline`` object directly with the same arguments. Goal: within 5%.
- *PyAV encode*: ``sdk.video.write_video`` on 96 frames of 256x256, against the ``ffmpeg``
  program fed the same raw frames on stdin with the same settings (libx264, crf 18,
  preset medium, MB-tree off, yuv420p, faststart). Skipped without ffmpeg.
- *animatic*: frames per second of ``video.animatic`` on two image keyframes at 256x256,
  optical-flow in-betweens with a zoom, against crossfade (no flow) in the same run.
- *memory*: peak resident memory of a fresh process that makes a 2-second 256x256 clip
  (16 frames at 8 fps) with the bundled models, against the 4 GB budget.

Pairs are timed alternately (A B A B ...) and the medians compared.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

ROUNDS = 3
ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"


def _alternate(a: Callable[[], object], b: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    a()
    b()
    times_a, times_b = [], []
    for _ in range(rounds):
        for fn, bucket in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times_a), statistics.median(times_b)


def _model():
    from genloom.sdk import ModelRef

    return ModelRef(id="image.emoji-ldm-32", kind="diffusers", path=str(BUNDLED), source="bundled")


def bench_plugin_vs_diffusers(out: Path) -> None:
    import torch

    from genloom.sdk import Request, RunState
    from genloom.testing import isolated_plugins

    plugins = isolated_plugins(modules=["genloom_video.plugin"])
    spec = plugins.generator("video.text_to_video")
    generator = spec.factory()
    generator.load(_model(), "cpu", "float32")
    params = spec.validate_params({"prompt": "red heart, zoom in", "frames": 8, "steps": 10})

    def plugin() -> object:
        return generator.run(Request(spec.id, params, seed=1, output_dir=out), RunState())

    plugin()
    (pipe,) = generator.pipes.values()

    def direct() -> object:
        return pipe(prompt="red heart, zoom in", num_frames=8, num_inference_steps=10, guidance_scale=7.5,
                    height=32, width=32, generator=torch.Generator("cpu").manual_seed(1), output_type="np",
                    decode_chunk_size=4).frames

    plugin_s, direct_s = _alternate(plugin, direct)
    report("plugin text-to-video (warm, 8x32px, 10 steps)", plugin_s, "AnimateDiffPipeline called directly",
           direct_s, note=f"overhead {100 * (plugin_s / direct_s - 1):+.1f}%", goal=1.05)
    generator.unload()


def bench_encoding(out: Path) -> None:
    import numpy as np

    from genloom.sdk.video import write_video

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("PyAV encode: skipped, no ffmpeg program to compare with")
        return
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)
    frames = [np.roll(base, 3 * i, axis=1) for i in range(96)]
    raw = b"".join(f.tobytes() for f in frames)

    def pyav() -> object:
        return write_video(out / "pyav.mp4", frames, 24)

    def program() -> object:
        return subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "256x256",
                               "-r", "24", "-i", "-", "-c:v", "libx264", "-crf", "18", "-preset", "medium",
                               "-x264-params", "mbtree=0", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                               str(out / "ffmpeg.mp4")],
                              input=raw, check=True)

    pyav_s, ffmpeg_s = _alternate(pyav, program)
    report("PyAV write_video (96 x 256x256, H.264)", pyav_s, "ffmpeg program, same frames", ffmpeg_s)


def bench_animatic(out: Path) -> None:
    import numpy as np
    from PIL import Image

    from genloom.sdk import InputAsset, Request, RunState
    from genloom.testing import isolated_plugins

    plugins = isolated_plugins(modules=["genloom_video.plugin"])
    spec = plugins.generator("video.animatic")
    generator = spec.factory()
    generator.load(_model(), "cpu", "float32")
    rng = np.random.default_rng(1)
    inputs = {}
    for index in (1, 2):
        path = out / f"key{index}.png"
        Image.fromarray(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(path)
        inputs[f"key_{index}"] = InputAsset(None, "image", path)
    frames = 48 + 12

    def run(transition: str) -> Callable[[], object]:
        params = spec.validate_params({"transition": transition, "seconds": 2.0, "fps": 24, "hold": 0.5,
                                       "segments": "zoom=1:1.3 pan=0:0.1"})
        return lambda: generator.run(Request(spec.id, params, seed=1, inputs=inputs, output_dir=out), RunState())

    flow_s, fade_s = _alternate(run("flow"), run("crossfade"))
    report(f"animatic flow, 256px ({frames / flow_s:.1f} frames/s)", flow_s,
           f"crossfade ({frames / fade_s:.1f} frames/s)", fade_s)


MEMORY_SCRIPT = """
import resource, sys, tempfile
from pathlib import Path
from genloom.sdk import ModelRef, Request, RunState
from genloom.testing import isolated_plugins
spec = isolated_plugins(modules=["genloom_video.plugin"]).generator("video.text_to_video")
generator = spec.factory()
generator.load(ModelRef(id="b", kind="diffusers", path=sys.argv[1]), "cpu", "float32")
params = spec.validate_params({"prompt": "red heart, zoom in", "frames": 16, "fps": 8, "width": 256,
                               "height": 256, "steps": int(sys.argv[2])})
generator.run(Request(spec.id, params, seed=1, output_dir=Path(tempfile.mkdtemp())), RunState())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_memory() -> None:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(BUNDLED), "4"], capture_output=True,
                            text=True, check=True)
    seconds = time.perf_counter() - start
    peak_mb = int(result.stdout.split()[-1]) / 1024
    print(f"2-s 256x256 clip (16 frames, 4 steps) with the bundled models: peak RSS {peak_mb:.0f} MB "
          f"(budget 4096 MB, {100 * peak_mb / 4096:.0f}%), {seconds:.0f} s including start-up", flush=True)


def main() -> None:
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {ROUNDS} alternating rounds")
    out = Path(tempfile.mkdtemp(prefix="bench-video-"))
    bench_encoding(out)
    bench_animatic(out)
    bench_plugin_vs_diffusers(out)
    bench_memory()


if __name__ == "__main__":
    main()
