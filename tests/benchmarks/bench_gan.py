"""GAN and VAE speed: the plugin against the bare model, ONNX Runtime against torch, and one
GAN image against one image of the bundled diffusion model.

Run it with ``python -m tests.benchmarks gan``. All on the CPU with the bundled
icon-gan-64 and icon-vae-64 (64x64, prompt "red heart", one image per run):

- *plugin image.gan, warm*: ``GanSample.run`` on a loaded generator (caption check, latent,
  network, PNG with its parameters text written) against ``gan_model.load(...)(captions,
  seeds)``, the bare network call the families comparison uses: the price of the plugin.
- *onnxruntime backend* against the torch backend, for image.gan and for the VAE's
  8-frame interpolation.
- *one GAN image* against one image of ``image.text_to_image`` (emoji-ldm-32, 25 steps):
  what one network pass saves over a denoising loop.

Each pair is timed alternately (A B A B ...) and the medians compared, so load from other
processes on a shared machine hits both alike.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks._report import report

ROUNDS = 9


def _alternate(a: Callable[[], object], b: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    a()
    b()
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(rounds):
        for fn, bucket in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times_a), statistics.median(times_b)


def main() -> None:
    """Print the comparisons."""
    import numpy as np
    from PIL import Image

    from genloom.sdk import InputAsset, Request, RunState
    from genloom.testing import isolated_plugins
    from genloom_image import gan_model
    from genloom_image.family_specs import MODELS_DIR

    plugins = isolated_plugins(modules=["genloom_image.plugin"])
    out = Path(tempfile.mkdtemp(prefix="bench-gan-"))

    def loaded(generator_id: str) -> tuple[object, object]:
        spec = plugins.generator(generator_id)
        generator = spec.factory()
        generator.load(None, "cpu", "float32")
        return spec, generator

    def runner(spec: object, generator: object, inputs: dict | None = None, **params: object
               ) -> Callable[[], object]:
        values = spec.validate_params(params)

        def run() -> object:
            return generator.run(Request(spec.id, values, seed=1, output_dir=out, inputs=inputs or {}), RunState())

        return run

    gan_spec, gan = loaded("image.gan")
    bare = gan_model.load(MODELS_DIR / "icon-gan-64")
    plugin_s, bare_s = _alternate(runner(gan_spec, gan, prompt="red heart"), lambda: bare(["red heart"], [1]))
    report("plugin image.gan (warm, 1 image, 64px)", plugin_s, "gan_model.load(...) called directly", bare_s,
           note=f"overhead {1000 * (plugin_s - bare_s):+.1f} ms (PNG + recipe text)")
    onnx_s, torch_s = _alternate(runner(gan_spec, gan, prompt="red heart", backend="onnxruntime"),
                                 runner(gan_spec, gan, prompt="red heart"))
    report("image.gan onnxruntime backend (CPU)", onnx_s, "image.gan torch backend (CPU)", torch_s)

    vae_spec, vae = loaded("image.vae_interpolate")
    pictures = []
    for index, colour in enumerate(((220, 30, 60), (30, 90, 220))):
        path = out / f"input-{index}.png"
        Image.fromarray(np.full((64, 64, 3), colour, dtype=np.uint8)).save(path)
        pictures.append(InputAsset(None, "image", path))
    inputs = {"start": pictures[0], "end": pictures[1]}
    onnx_s, torch_s = _alternate(runner(vae_spec, vae, inputs, steps=8, backend="onnxruntime"),
                                 runner(vae_spec, vae, inputs, steps=8))
    report("image.vae_interpolate 8 frames, onnxruntime", onnx_s, "the same, torch", torch_s)

    ldm_spec, ldm = loaded("image.text_to_image")
    gan_s, ldm_s = _alternate(runner(gan_spec, gan, prompt="red heart"),
                              runner(ldm_spec, ldm, prompt="red heart", steps=25), rounds=1)
    report("one GAN image (64px, one pass)", gan_s, "one LDM image (32px, 25 steps)", ldm_s)
    for generator in (gan, vae, ldm):
        generator.unload()


if __name__ == "__main__":
    main()
