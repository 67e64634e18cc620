"""Running a GAN or VAE folder with torch or with onnxruntime, behind one small interface.

Latent vectors are drawn with numpy from each seed alone (``default_rng(seed)``), so the
same seed gives the same latent on either backend and whatever else is in the batch;
images come back as ``(N, S, S, 3)`` uint8 arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloom.sdk.errors import ParameterError
from genloom.sdk.formats import ModelFormatError
from genloom_image.families import ONNX_FILES, WEIGHTS, FamilyConfig, check_weights, read_config

BACKENDS = ("torch", "onnxruntime")


def latents(seeds: Sequence[int], dim: int, temperature: float = 1.0) -> Any:
    """One standard normal latent per seed, ``(len(seeds), dim)`` float32, scaled by ``temperature``."""
    import numpy as np

    rows = [np.random.default_rng(int(seed)).standard_normal(dim) for seed in seeds]
    return (np.stack(rows) * float(temperature)).astype(np.float32)


def to_uint8(images: Any) -> Any:
    """``(N, 3, S, S)`` floats in [0, 1] -> ``(N, S, S, 3)`` uint8, rounded."""
    import numpy as np

    return np.clip(np.rint(np.asarray(images).transpose(0, 2, 3, 1) * 255.0), 0, 255).astype(np.uint8)


def onnx_folder(folder: Path, family: str, derived_dir: Path | None) -> Path:
    """Where the folder's ONNX export is: its own ``onnx/``, then Genloom's derived folder.

    :raises ParameterError: neither has the files; names the export command.
    """
    places = [Path(folder) / "onnx", *([Path(derived_dir) / "onnx"] if derived_dir else [])]
    for place in places:
        if all((place / name).is_file() for name in ONNX_FILES[family]):
            return place
    out = places[-1]
    raise ParameterError("backend", "onnxruntime",
                         f"needs {', '.join(ONNX_FILES[family])} in {' or '.join(map(str, places))}, "
                         "which this model lacks",
                         f"export it with `python -m genloom_image.family_export {folder} --out {out}` "
                         "or use the torch backend")


class FamilyRunner:
    """The networks of one folder, loaded for one backend and device.

    ``decode(latents, bags)`` and (VAE) ``encode(images)`` work on numpy arrays.
    """

    def __init__(self, folder: Path, backend: str = "torch", device: str = "cpu",
                 derived_dir: Path | None = None, config: FamilyConfig | None = None) -> None:
        if backend not in BACKENDS:
            raise ParameterError("backend", backend, "is not a backend of this model",
                                 f"choose one of {', '.join(BACKENDS)}")
        self.folder = Path(folder)
        self.config = config or read_config(self.folder)
        self.backend, self.device = backend, device
        self.providers: list[str] = []
        self._sessions: dict[str, Any] = {}
        self._net: Any = None
        if backend == "torch":
            self._load_torch()
        else:
            self._load_onnx(derived_dir)

    # -- loading ---------------------------------------------------------------------------

    def _load_torch(self) -> None:
        from safetensors.torch import load_file

        from genloom_image.family_nets import build

        check_weights(self.folder, self.config)
        try:
            state = load_file(str(self.folder / WEIGHTS))
        except Exception as exc:  # safetensors raises its own error types for damaged files
            raise ModelFormatError(f"{self.folder / WEIGHTS} cannot be read: {exc}") from exc
        net = build(self.config)
        expected = net.state_dict()
        wrong = [f"{k} {list(v.shape)} (config.json makes {list(expected[k].shape)})"
                 for k, v in state.items() if k in expected and v.shape != expected[k].shape]
        if wrong:
            raise ModelFormatError(f"{self.folder / WEIGHTS} does not fit config.json: "
                                   f"{'; '.join(wrong[:3])}{'; ...' if len(wrong) > 3 else ''}")
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ModelFormatError(
                f"{self.folder / WEIGHTS} does not fit config.json: "
                + "; ".join(part for part in (
                    f"missing {', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}" if missing else "",
                    f"unexpected {', '.join(unexpected[:4])}{', ...' if len(unexpected) > 4 else ''}"
                    if unexpected else "") if part))
        try:
            self._net = net.eval().to(self.device)
        except RuntimeError as exc:
            raise ModelFormatError(f"cannot move the model to {self.device}: {exc}") from exc
        # No global torch.set_grad_enabled(False) here: the worker (and any script that loads a
        # model) shares grad mode with everything else; decode/encode run under no_grad.

    def _load_onnx(self, derived_dir: Path | None) -> None:
        import onnxruntime as ort

        from genloom.sdk.runtime import onnx_session

        place = onnx_folder(self.folder, self.config.family, derived_dir)
        options = ort.SessionOptions()
        # Spinning idle threads starve the rest of the worker on small machines (see onnx_backend).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        for name in ONNX_FILES[self.config.family]:
            self._sessions[name], active = onnx_session(place / name, self.device, session_options=options)
            self.providers = self.providers or active

    # -- running ---------------------------------------------------------------------------

    def decode(self, latent: Any, bags: Any) -> Any:
        """Images ``(N, 3, S, S)`` float32 in [0, 1] from latents and caption bags."""
        import numpy as np

        if self.backend == "onnxruntime":
            name = "generator.onnx" if self.config.family == "icon-gan" else "decoder.onnx"
            (out,) = self._sessions[name].run(None, {"latent": latent, "words": bags})
            return np.asarray(out, dtype=np.float32)
        import torch

        with torch.no_grad():
            out = self._net.decoder(torch.from_numpy(latent).to(self.device), torch.from_numpy(bags).to(self.device))
        return out.float().cpu().numpy()

    def encode(self, images: Any) -> Any:
        """Latent means ``(N, latent_dim)`` of images ``(N, S, S, 3)`` uint8 (VAE only)."""
        import numpy as np

        if self.config.family != "icon-vae":
            raise TypeError("only a VAE has an encoder")
        x = (np.asarray(images, dtype=np.float32) / 255.0).transpose(0, 3, 1, 2).copy()
        if self.backend == "onnxruntime":
            (out,) = self._sessions["encoder.onnx"].run(None, {"image": x})
            return np.asarray(out, dtype=np.float32)
        import torch

        with torch.no_grad():
            mean, _ = self._net.encoder(torch.from_numpy(x).to(self.device))
        return mean.float().cpu().numpy()

    def close(self) -> None:
        """Drop the networks and sessions."""
        self._net = None
        self._sessions.clear()
