"""``video.animatic``: keyframes joined by camera moves and in-betweens, for previz.

Keyframes are image assets (input slots ``key_1`` ... ``key_6``) or prompts (one line
each of ``prompts``) rendered by the chosen image model. Keyframe ``i`` is the image in
``key_i`` when one is given, else line ``i`` of the prompts, rendered with seed
``seed + i - 1``. The image model loads only when something needs it (a prompt keyframe
or a latent morph); an animatic of images alone runs on NumPy and OpenCV.

The first frame is keyframe 1 and the last frames are the last keyframe (held for
``hold`` seconds), exactly, whenever the camera rests there: that is the first- and
last-frame control a shot that must start or end on a given image needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from genloom.sdk import InputError, ModelRef, Output, ParameterError, Request, RunState
from genloom_video import __version__
from genloom_video.camera import Segment, ease, film, parse_segments
from genloom_video.output import clip_output

MAX_KEYFRAMES = 6
KEY_ROLES = tuple(f"key_{i}" for i in range(1, MAX_KEYFRAMES + 1))


def prompt_lines(text: str) -> list[str]:
    """The prompts, one per line; blank lines in the middle stand for keyframes given as images."""
    lines = [line.strip() for line in (text or "").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def keyframe_count(params: dict[str, Any], given_roles: set[str]) -> int:
    """How many keyframes: the most of the prompt lines and the highest image slot given."""
    highest = max((KEY_ROLES.index(r) + 1 for r in given_roles if r in KEY_ROLES), default=0)
    count = max(len(prompt_lines(params.get("prompts", ""))), highest)
    if count == 0:
        raise ParameterError("prompts", "", "is empty and no keyframe image was given",
                             "write one prompt per keyframe, or give images as key_1, key_2...")
    if count > MAX_KEYFRAMES:
        raise ParameterError("prompts", f"{count} keyframes", f"is more than {MAX_KEYFRAMES}",
                             f"use at most {MAX_KEYFRAMES} keyframes per animatic; chain shots for more")
    return count


def check_animatic(params: dict[str, Any]) -> None:
    """The spec's check, before anything loads: sizes and the segment text.

    How many keyframes there are depends on the images given, so the frame budget and
    the number of segment lines are checked again when the job runs.
    """
    from genloom_video.output import check_size

    check_size(params)
    lines = prompt_lines(params.get("segments", ""))
    parse_segments(params.get("segments", ""), max(1, len(lines)), params["seconds"], params["transition"],
                   params["ease"])


MAX_FRAMES = 3600


class Animatic:
    """The animatic generator: loads the image model lazily, writes an MP4."""

    def __init__(self) -> None:
        self.model: ModelRef | None = None
        self.device = "cpu"
        self.dtype = "float32"
        self.pipe: Any = None

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        self.model, self.device, self.dtype = model, device, dtype

    def unload(self) -> None:
        self.pipe = None
        import gc

        gc.collect()

    def _image_model(self) -> Any:
        if self.pipe is None:
            from genloom_video.sd import load_image_pipeline

            self.pipe = load_image_pipeline(self.model, self.device, self.dtype)
        return self.pipe

    # -- one run --------------------------------------------------------------------------------

    def run(self, request: Request, state: RunState) -> list[Output]:
        state.raise_if_cancelled()
        params = request.params
        given = {role for role in request.inputs if role in KEY_ROLES}
        unknown = sorted(set(request.inputs) - set(KEY_ROLES))
        if unknown:
            raise InputError(f"video.animatic takes images as {', '.join(KEY_ROLES)}; "
                             f"{', '.join(unknown)} is not one of them")
        count = keyframe_count(params, given)
        segments = parse_segments(params["segments"], max(1, count - 1), params["seconds"],
                                  params["transition"], params["ease"])
        width, height, fps = params["width"], params["height"], params["fps"]
        lines = prompt_lines(params["prompts"])
        sources = self._sources(request, count, lines)
        if any(s.transition == "morph" for s in segments) and count < 2:
            raise ParameterError("transition", "morph", "needs two keyframes to morph between",
                                 "add a second keyframe or choose flow or crossfade")
        keyframes = self._keyframes(request, sources, width, height, state)
        frames_per_segment = [max(1, round(s.seconds * fps)) for s in segments]
        hold = max(1, round(params["hold"] * fps))
        total = sum(frames_per_segment) + hold
        if total > MAX_FRAMES:
            raise ParameterError("seconds", params["seconds"], f"makes {total} frames, more than {MAX_FRAMES}",
                                 "shorten the segments or lower fps")
        frames = self._frames(request, keyframes, sources, segments, frames_per_segment, hold, state, total)
        path = Path(request.output_dir) / "animatic.mp4"
        info = self._write(path, frames, fps)
        state.raise_if_cancelled()
        metadata = {
            "keyframes": [{"source": kind, "value": value} for kind, value in sources],
            "segments": [{"seconds": s.seconds, "transition": s.transition, "ease": s.ease,
                          "camera": {k: list(v) for k, v in s.camera.items()}, "frames": n}
                         for s, n in zip(segments, frames_per_segment, strict=True)],
            "hold_frames": hold, "plugin_version": __version__,
        }
        if self.pipe is not None:  # keyframes were drawn from prompts: say what drew them
            from genloom.sdk.placement import pipeline_runtime

            metadata["runtime"] = pipeline_runtime(self.pipe, self.device, placement=self.pipe.genloom_placement)
        return [clip_output(path, info, metadata)]

    def _write(self, path: Path, frames: Iterator[Any], fps: int) -> Any:
        from genloom.sdk.video import write_video

        return write_video(path, frames, fps)

    def _sources(self, request: Request, count: int, lines: list[str]) -> list[tuple[str, str]]:
        """("image", role) or ("prompt", text) for each keyframe, checked."""
        sources: list[tuple[str, str]] = []
        for index in range(count):
            role = KEY_ROLES[index]
            asset = request.inputs.get(role)
            if asset is not None:
                if asset.kind != "image":
                    raise InputError(f"{role} is a {asset.kind} asset; a keyframe must be an image "
                                     "(take a frame out of a clip as an image first)")
                sources.append(("image", role))
            elif index < len(lines) and lines[index]:
                sources.append(("prompt", lines[index]))
            else:
                raise ParameterError("prompts", f"line {index + 1}",
                                     f"is empty and no image was given as {role}, so keyframe {index + 1} "
                                     "has nothing to show", f"write a prompt on line {index + 1} or give {role}")
        return sources

    def _keyframes(self, request: Request, sources: list[tuple[str, str]], width: int, height: int,
                   state: RunState) -> list[Any]:
        import numpy as np
        from PIL import Image

        keyframes = []
        for index, (kind, value) in enumerate(sources):
            state.raise_if_cancelled()
            if kind == "image":
                asset = request.inputs[value]
                try:
                    with Image.open(asset.path) as img:
                        image = img.convert("RGB")
                except OSError as exc:
                    raise InputError(f"{value} ({Path(asset.path).name}) is not an image Pillow can read: "
                                     f"{exc}") from exc
            else:
                from genloom_video.sd import render

                state.progress(0, len(sources), f"rendering keyframe {index + 1}: {value}")
                array = render(self._image_model(), value, request.seed + index, request.params["steps"],
                               request.params["guidance_scale"], state, f"keyframe {index + 1}")
                image = Image.fromarray(array)
            keyframes.append(np.asarray(_fit(image, width, height), dtype=np.uint8))
        return keyframes

    def _frames(self, request: Request, keyframes: list[Any], sources: list[tuple[str, str]],
                segments: list[Segment], counts: list[int], hold: int, state: RunState,
                total: int) -> Iterator[Any]:
        from genloom_video.inbetween import FlowBlend, crossfade

        done = 0
        preview_every = max(1, total // 12)

        def emit(frame: Any) -> Any:
            nonlocal done
            state.raise_if_cancelled()
            done += 1
            state.progress(done, total, f"frame {done} of {total}",
                           preview=frame if done % preview_every == 0 or done == total else None)
            return frame

        last_camera: dict[str, float] = {}
        for index, (segment, count) in enumerate(zip(segments, counts, strict=True)):
            a = keyframes[index]
            b = keyframes[min(index + 1, len(keyframes) - 1)]
            flow = FlowBlend(a, b) if segment.transition == "flow" and b is not a else None
            morph = self._morph(request, sources, keyframes, index, state) if segment.transition == "morph" \
                else None
            for k in range(count):
                w = ease(segment.ease, k / count)
                if segment.transition == "cut":
                    picture = a
                elif segment.transition == "crossfade":
                    picture = crossfade(a, b, w)
                elif flow is not None:
                    picture = flow.at(w)
                elif morph is not None:
                    picture = morph(w)
                else:
                    picture = a
                yield emit(film(picture, segment.camera_at(w)))
            last_camera = segment.camera_at(1.0)
        for _ in range(hold):
            yield emit(film(keyframes[-1], last_camera))

    def _morph(self, request: Request, sources: list[tuple[str, str]], keyframes: list[Any], index: int,
               state: RunState) -> Any:
        """A function ``w -> frame`` through the image model's latent space between keyframes index, index+1.

        Two prompt keyframes: each in-between is denoised from the slerp of the two seeds'
        starting noise with the prompt embeddings interpolated, so the ends are the keyframes
        themselves. With an image keyframe: the two images' VAE latents are interpolated and
        decoded (there is no seed or prompt to travel between).
        """
        import numpy as np
        import torch
        from PIL import Image

        from genloom_video import sd

        pipe = self._image_model()
        params = request.params
        width, height = params["width"], params["height"]
        (kind_a, value_a), (kind_b, value_b) = sources[index], sources[index + 1]
        if kind_a == "prompt" and kind_b == "prompt":
            guidance = params["guidance_scale"]
            noise = [sd.initial_latents(pipe, request.seed + index + j) for j in (0, 1)]
            embeds = [sd.embeddings(pipe, value, guidance) for value in (value_a, value_b)]

            def denoise(w: float) -> Any:
                if w <= 0:
                    return keyframes[index]
                mixed = tuple(e0 * (1 - w) + e1 * w for e0, e1 in zip(embeds[0], embeds[1], strict=True))
                array = sd.render(pipe, "", 0, params["steps"], guidance, state,
                                  "morph", latents=sd.slerp(noise[0], noise[1], w), prompt_embeds=mixed)
                return np.asarray(_fit(Image.fromarray(array), width, height), dtype=np.uint8)

            return denoise
        size = sd.native_size(pipe)

        def encode(frame: Any) -> Any:
            picture = Image.fromarray(frame).resize((size, size), Image.Resampling.LANCZOS)
            tensor = torch.from_numpy(np.asarray(picture, np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
            with torch.no_grad():
                return pipe.vae.encode(tensor.to(pipe.device, pipe.vae.dtype)).latent_dist.mean

        latents = [encode(keyframes[index]), encode(keyframes[index + 1])]

        def blend(w: float) -> Any:
            if w <= 0:
                return keyframes[index]
            with torch.no_grad():
                decoded = pipe.vae.decode(latents[0] * (1 - w) + latents[1] * w).sample
            array = ((decoded[0].permute(1, 2, 0).float().cpu().numpy() + 1) * 127.5).clip(0, 255)
            return np.asarray(_fit(Image.fromarray(array.round().astype(np.uint8)), width, height), np.uint8)

        return blend


def _fit(image: Any, width: int, height: int) -> Any:
    """``image`` scaled to cover ``width x height`` and centre-cropped (a keyframe is never stretched)."""
    from PIL import Image

    scale = max(width / image.width, height / image.height)
    size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    resized = image.resize(size, Image.Resampling.LANCZOS)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return resized.crop((left, top, left + width, top + height))
