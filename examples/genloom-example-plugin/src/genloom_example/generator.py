"""The generator: loads the decoder from its safetensors file, draws a sheet of tiles."""

from __future__ import annotations

import colorsys
import io
import math
from pathlib import Path
from typing import Any

from genloom.sdk import (
    CancelledError,
    GenloomError,
    ModelRef,
    Output,
    Request,
    RunState,
    encode_preview,
    read_safetensors_header,
)

from genloom_example.net import WEIGHTS, build_decoder, decoder_input
from genloom_example.shapes import SHAPES


class ShapesGenerator:
    def __init__(self) -> None:
        self.net: Any = None
        self.model_id = ""
        self.device = "cpu"

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        """Load the weights of the model Genloom chose (the bundled one unless the user picked another)."""
        if model is None or not model.path:
            raise GenloomError("example.shapes needs its decoder model; reinstall the plugin "
                               "if the bundled one is missing")
        path = Path(model.path) / WEIGHTS
        # The header names the tensors without reading any weights: a clear error for a
        # file that is not this decoder, before torch sees it.
        header = read_safetensors_header(path)
        if "0.weight" not in header:
            raise GenloomError(f"{path} is not a shapes decoder (it has no layer 0.weight)")
        import torch  # heavy libraries load here, in the worker, never at import
        from safetensors.torch import load_file

        net = build_decoder()
        net.load_state_dict(load_file(str(path)))
        # float32 on the CPU, where half-precision convolutions are slow or missing.
        self.dtype = torch.float32 if device == "cpu" else getattr(torch, dtype, torch.float32)
        self.device = device
        self.net = net.to(device=device, dtype=self.dtype).eval()
        self.model_id = model.id

    def run(self, request: Request, state: RunState) -> list[Output]:
        import torch
        from PIL import Image

        shape = request.params["shape"]
        tiles, side = request.params["tiles"], request.params["tile_size"]
        columns = math.ceil(math.sqrt(tiles))
        rows = math.ceil(tiles / columns)
        # Every random choice comes from one generator seeded with request.seed, on the
        # CPU, so a seed gives the same sheet on every device.
        rng = torch.Generator().manual_seed(request.seed)
        codes = torch.rand(tiles, 3, generator=rng) * 2 - 1
        hues = torch.rand(tiles, generator=rng).tolist()
        shape_index = torch.full((tiles,), SHAPES.index(shape), dtype=torch.long)
        inputs = decoder_input(shape_index, codes).to(device=self.device, dtype=self.dtype)
        sheet = Image.new("RGB", (columns * side, rows * side), (245, 245, 240))
        done = 0
        with torch.inference_mode():
            for i in range(tiles):
                if state.cancelled:
                    if done == 0:
                        raise CancelledError("cancelled before the first tile")
                    break  # keep the tiles drawn so far, marked partial
                mask = self.net(inputs[i:i + 1])[0, 0].float().cpu().numpy()
                sheet.paste(_colour_tile(mask, hues[i], side), ((i % columns) * side, (i // columns) * side))
                done += 1
                state.progress(done, tiles, message=f"tile {done} of {tiles}",
                               preview=encode_preview(sheet))
        buffer = io.BytesIO()
        sheet.save(buffer, format="PNG")
        metadata = {"shape": shape, "tiles": done, "tile_size": side, "model": self.model_id,
                    "codes": [[round(v, 4) for v in row] for row in codes[:done].tolist()]}
        return [Output(kind="image", data=buffer.getvalue(), suffix=".png", metadata=metadata,
                       partial=done < tiles)]

    def unload(self) -> None:
        self.net = None


def _colour_tile(mask: Any, hue: float, side: int) -> Any:
    """A ``side``-pixel RGB tile: the mask, scaled smoothly, in a colour of the given hue."""
    import numpy as np
    from PIL import Image

    alpha = Image.fromarray((np.clip(mask, 0, 1) * 255).astype("uint8"), "L")
    alpha = alpha.resize((side, side), Image.Resampling.BICUBIC)
    r, g, b = (int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.65, 0.85))
    tile = Image.new("RGB", (side, side), (245, 245, 240))
    tile.paste(Image.new("RGB", (side, side), (r, g, b)), mask=alpha)
    return tile
