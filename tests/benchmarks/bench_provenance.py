"""What provenance costs on export: per image and per minute of video, against exporting without it.

Run it with ``python -m tests.benchmarks provenance``. Each export goes
through ``genloom.core.exporting.export_asset`` (the one export path) into a
fresh file; the baseline is the same export with every provenance setting off
(the file copied, with a PNG's text chunks), measured in the same run.

- *image*: a textured 512x512 (and 1024x1024) PNG with a recipe: the C2PA
  manifest with XMP (``sign``), then also the invisible watermark (``all``).
- *video*: a 60 s MP4 (256x144, 24 fps, mpeg4, made here with PyAV): the
  manifest (hashing the whole file is most of the cost).
- *verify*: ``verify_file`` of the signed 512 px image (c2pa validation and the
  watermark check) against decoding the PNG with Pillow (what any viewer does).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from genloom.core.credentials.verify import verify_file
from genloom.core.exporting import export_asset
from genloom.core.project import Project
from genloom.core.settings import Settings

try:
    from tests.benchmarks._report import best_of, report
except ModuleNotFoundError:  # run as a script
    from _report import best_of, report  # type: ignore[no-redef]

RECIPE = {"recipe_version": 1, "generator": {"id": "image.text_to_image"}, "seed": 1, "inputs": {},
          "params": {"prompt": "a red fox", "steps": 20, "width": 512, "height": 512},
          "model": {"id": "emoji-ldm-32", "title": "Emoji LDM 32", "hash": "ab" * 32, "licence": "mit"}}
OFF = Settings(provenance_c2pa=False, provenance_xmp=False, provenance_watermark=False,
               provenance_sidecar=False, provenance_text_header=False)
SIGN = Settings(provenance_watermark=False)
ALL = Settings()


def _picture(size: int) -> bytes:
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, size)
    pixels = np.stack([np.add.outer(ramp, ramp) / 2, np.add.outer(ramp[::-1], ramp) / 2,
                       np.full((size, size), 120.0)], -1) + rng.normal(0, 12, (size, size, 3))
    buffer = io.BytesIO()
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _video(path: Path, seconds: int = 60, fps: int = 24) -> Path:
    import av

    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 256, 144, "yuv420p"
        stream.bit_rate = 800_000
        base = rng.integers(0, 255, (144, 256, 3), dtype=np.uint8)
        for index in range(seconds * fps):
            frame = np.roll(base, index, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="genloom-bench-provenance-"))
    project = Project.create(work / "project")
    counter = iter(range(1_000_000))

    def export(asset, settings, suffix):  # type: ignore[no-untyped-def]
        return lambda: export_asset(project, asset, work / f"out-{next(counter)}{suffix}", settings)

    export(project.add_asset(_picture(64), kind="image", suffix=".png", recipe=RECIPE), ALL, ".png")()  # keys
    for size in (512, 1024):
        asset = project.add_asset(_picture(size), kind="image", suffix=".png", recipe=RECIPE)
        base = best_of(export(asset, OFF, ".png"), repeat=5)
        report(f"export {size}px PNG, manifest + XMP", best_of(export(asset, SIGN, ".png"), repeat=5),
               "export without provenance", base)
        report(f"export {size}px PNG, manifest + XMP + watermark", best_of(export(asset, ALL, ".png"), repeat=5),
               "export without provenance", base)
    signed = export_asset(project, project.add_asset(_picture(512), kind="image", suffix=".png",
                                                     recipe=RECIPE), work / "signed.png", ALL)
    def decode() -> None:
        from PIL import Image

        with Image.open(signed) as image:
            image.load()

    report("verify 512px PNG (c2pa + watermark check)", best_of(lambda: verify_file(signed), repeat=5),
           "decoding the PNG (Pillow)", best_of(decode, repeat=5))
    clip = project.add_asset(_video(work / "minute.mp4"), kind="video", suffix=".mp4", recipe=RECIPE)
    size_mb = clip.size / 1e6
    base = best_of(export(clip, OFF, ".mp4"), repeat=3)
    report("export 60 s MP4, manifest", best_of(export(clip, SIGN, ".mp4"), repeat=3),
           "export without provenance", base, note=f"{size_mb:.1f} MB per minute")
    project.close()


if __name__ == "__main__":
    main()
