"""User settings: a typed model with a schema version, saved atomically as JSON.

Unknown keys from a newer Genloom are kept on save, so using an older version
never erases a newer one's settings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from genloom.core import paths

SCHEMA_VERSION = 1
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
#: The precisions a user may choose (genloom.sdk.placement.resolve_dtype applies them per device).
DTYPE_CHOICES = ("auto", "float16", "bfloat16", "float32")
#: Where jobs run: this machine's worker process, or a Ray cluster.
EXECUTORS = ("local", "ray")


class SettingsError(ValueError):
    """A settings value that cannot be used; the message names the key and the fix."""


@dataclass
class Settings:
    """Everything the user can set once for all projects."""

    #: Plugins not to load, by plugin name (see ``genloom plugins``).
    disabled_plugins: list[str] = field(default_factory=list)
    #: Extra folders to look for drop-in plugins in, besides the user plugins folder.
    plugin_dirs: list[str] = field(default_factory=list)
    #: "auto" (CUDA, then MPS, then CPU) or a device type or "cuda:1".
    device: str = "auto"
    #: The precision models run in: "auto" (float32 on the CPU, float16 on a GPU, bfloat16 for
    #: models trained in it where the GPU has it), or float16, bfloat16 or float32 on GPUs
    #: (the CPU always runs float32). genloom.sdk.placement.resolve_dtype owns the rule.
    dtype: str = "auto"
    #: How many loaded generators the worker keeps cached.
    max_loaded_generators: int = 2
    #: Memory the worker's loaded models may hold per device, in MB (the VRAM budget on a GPU);
    #: beyond it the least recently used are unloaded, and a model bigger than it alone is
    #: offloaded to system memory part by part (genloom.sdk.placement.choose_placement).
    #: 0: automatic (90% of a GPU's memory, half the RAM).
    model_memory_budget_mb: int = 0
    #: CPU threads a model may use (torch and ONNX Runtime alike); 0: one per core.
    cpu_threads: int = 0
    #: List the models in the Hugging Face cache in the model library.
    scan_hf_cache: bool = True
    #: A running job that reports no progress for this long is treated as hung.
    stall_timeout_s: float = 900.0
    #: After a cancel, how long a job may take to stop before its worker is restarted.
    cancel_grace_s: float = 10.0
    recent_projects: list[str] = field(default_factory=list)
    last_project: str = ""
    #: The generator the app showed last (shown again at the next start).
    last_generator: str = ""
    theme: str = "dark"
    #: Exports carry a signed C2PA manifest (content credentials): embedded where the
    #: format allows, a sidecar ``.c2pa`` beside other files.
    provenance_c2pa: bool = True
    #: Exported images carry XMP ``Iptc4xmpExt:DigitalSourceType``.
    provenance_xmp: bool = True
    #: Files C2PA cannot embed in (text, code, WebM...) get a sidecar manifest ``NAME.c2pa``.
    provenance_sidecar: bool = True
    #: Exported code and Markdown start with a one-line comment saying a model made them.
    provenance_text_header: bool = True
    #: Exported images large enough carry an invisible watermark.
    provenance_watermark: bool = True
    #: Sign with this certificate chain (PEM, signer first) instead of this installation's own.
    credentials_certificate: str = ""
    #: The unencrypted PEM private key of ``credentials_certificate``.
    credentials_private_key: str = ""
    #: Content hashes of models whose restrictive licence the user has been shown.
    acknowledged_licences: list[str] = field(default_factory=list)
    #: The app runs the local API (Settings > Local API); off unless the user turns it on.
    api_enabled: bool = False
    #: The port the local API listens on (on 127.0.0.1).
    api_port: int = 8765
    #: Where batches run: "local" (this machine's worker) or "ray" (a Ray cluster, the 'ray' extra).
    executor: str = "local"
    #: The Ray cluster's address for the ray executor ("local": a private one on this machine).
    ray_address: str = ""
    #: The first run's welcome (examples, device, model folders) has been shown.
    welcome_shown: bool = False
    schema_version: int = SCHEMA_VERSION
    _extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def validate(self) -> None:
        if not (self.device in DEVICE_CHOICES or self.device.startswith("cuda:")):
            raise SettingsError(
                f"device: {self.device!r} is not a device; use one of {', '.join(DEVICE_CHOICES)} or cuda:N"
            )
        if not isinstance(self.dtype, str) or self.dtype not in DTYPE_CHOICES:
            raise SettingsError(f"dtype: {self.dtype!r} is not a precision; use one of {', '.join(DTYPE_CHOICES)}")
        if self.max_loaded_generators < 1:
            raise SettingsError(
                f"max_loaded_generators: {self.max_loaded_generators} must be at least 1"
            )
        if self.model_memory_budget_mb < 0:
            raise SettingsError(
                f"model_memory_budget_mb: {self.model_memory_budget_mb} is negative; use a size in MB, "
                "or 0 for automatic"
            )
        if isinstance(self.cpu_threads, bool) or not isinstance(self.cpu_threads, int) \
                or not 0 <= self.cpu_threads <= 1024:
            raise SettingsError(f"cpu_threads: {self.cpu_threads!r} is not a thread count; use 1 to the "
                                "number of cores, or 0 for one per core")
        if not isinstance(self.last_generator, str):
            raise SettingsError(f"last_generator: {self.last_generator!r} is not a generator id; "
                                "use one such as 'image.text_to_image', or remove the line")
        if not isinstance(self.acknowledged_licences, list) or not all(
                isinstance(h, str) for h in self.acknowledged_licences):
            raise SettingsError("acknowledged_licences: must be a list of model content hashes; remove "
                                "the line to be asked again")
        for name in ("provenance_c2pa", "provenance_xmp", "provenance_sidecar", "provenance_text_header",
                     "provenance_watermark"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name}: {getattr(self, name)!r} is not true or false")
        if bool(self.credentials_certificate) != bool(self.credentials_private_key):
            raise SettingsError("credentials_certificate and credentials_private_key go together: set "
                                "both to sign with your own certificate, or neither to use Genloom's")
        if not isinstance(self.api_enabled, bool):
            raise SettingsError(f"api_enabled: {self.api_enabled!r} is not true or false")
        if isinstance(self.api_port, bool) or not isinstance(self.api_port, int) or not 1 <= self.api_port <= 65535:
            raise SettingsError(f"api_port: {self.api_port!r} is not a TCP port; use 1024 to 65535")
        if self.executor not in EXECUTORS:
            raise SettingsError(f"executor: {self.executor!r} is not an executor; use one of "
                                f"{', '.join(EXECUTORS)}")
        if not isinstance(self.ray_address, str):
            raise SettingsError(f"ray_address: {self.ray_address!r} is not an address such as "
                                "10.0.0.5:6379")
        for name in ("stall_timeout_s", "cancel_grace_s"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name}: {getattr(self, name)} must be a positive number of seconds")

    @classmethod
    def path(cls) -> Path:
        return paths.config_dir() / "settings.json"

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read settings; a missing file gives the defaults, a broken one a clear error."""
        path = path or cls.path()
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(
                f"cannot read settings file {path}: {exc}. Fix or delete the file to start from defaults."
            ) from exc
        if not isinstance(data, dict):
            raise SettingsError(f"settings file {path} does not hold a JSON object; fix or delete it")
        data = _migrate(data)
        known = {f.name for f in fields(cls) if not f.name.startswith("_")}
        settings = cls(**{k: v for k, v in data.items() if k in known})
        settings._extra = {k: v for k, v in data.items() if k not in known}
        settings.schema_version = SCHEMA_VERSION
        settings.validate()
        return settings

    def save(self, path: Path | None = None) -> None:
        """Write atomically: a temp file in the same folder, fsync, rename."""
        self.validate()
        path = path or self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**self._extra, **{k: v for k, v in asdict(self).items() if not k.startswith("_")}}
        import tempfile  # here, not at the top: reading settings (every CLI start) never needs it

        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def remember_project(self, project_path: Path | str, keep: int = 10) -> None:
        text = str(Path(project_path).resolve())
        self.recent_projects = [text] + [p for p in self.recent_projects if p != text][: keep - 1]
        self.last_project = text


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings dict up to SCHEMA_VERSION (version 1 is the first)."""
    data.setdefault("schema_version", 1)
    return data
