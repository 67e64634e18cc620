"""What a generator receives and returns when it runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from genloom.sdk.errors import CancelledError
from genloom.sdk.models import ModelRef
from genloom.sdk.spec import MODALITIES

__all__ = ["TITLE_MAX", "Generator", "InputAsset", "Output", "Progress", "Request", "RunState",
           "check_title", "fit_title"]

#: The most characters an output's title may have (API 1.4).
TITLE_MAX = 200


def check_title(title: object) -> str:
    """``title`` if it can name an asset: text on one line, at most :data:`TITLE_MAX`
    characters (ends stripped); :class:`ValueError` saying what is wrong otherwise. The
    SDK checks a generator's :class:`Output` with it and the engine checks what comes
    back from the worker with it again."""
    if not isinstance(title, str):
        raise ValueError(f"output title {title!r:.60} is a {type(title).__name__}, not text")
    title = title.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in title):
        raise ValueError(f"output title {title!r:.60} has a line break or control character; "
                         "give one line of plain text")
    if len(title) > TITLE_MAX:
        raise ValueError(f"output title has {len(title)} characters; keep it to {TITLE_MAX} or fewer")
    return title


def fit_title(text: str) -> str:
    """``text`` made into a title :func:`check_title` accepts: line breaks, control
    characters and runs of spaces become one space, and a text over :data:`TITLE_MAX`
    characters is cut with an ellipsis. For titles built from what a user typed or a
    plan holds (a search, a set's label), which may be anything."""
    title = " ".join("".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in str(text)).split())
    return title if len(title) <= TITLE_MAX else title[:TITLE_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class InputAsset:
    """An asset given to a generator as input: a file on disk and what it is."""

    asset_id: int | None
    kind: str
    path: Path
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One run of a generator.

    ``params`` is complete and already validated against the spec (defaults
    filled in), but a generator still checks what only it can know, such as a
    size the loaded model cannot make. ``seed`` is the seed to use (never
    ``None``: the engine draws one when the user asked for a random seed, so the
    recipe records it). ``seeds`` (since API 1.2) are the seeds of the outputs to
    make, one output each, in order; ``seed`` is ``seeds[0]``. A generator whose
    spec has ``batch_size`` 1 always gets one. ``output_dir`` is an empty scratch folder for files the
    generator writes; ``device`` and ``dtype`` are the ones ``load`` was given.
    """

    generator_id: str
    params: dict[str, Any]
    seed: int
    inputs: dict[str, InputAsset] = field(default_factory=dict)
    model: ModelRef | None = None
    device: str = "cpu"
    dtype: str = "float32"
    output_dir: Path = Path(".")
    job_id: int | None = None
    seeds: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        seeds = tuple(int(s) for s in self.seeds) or (int(self.seed),)
        if seeds[0] != self.seed:
            raise ValueError(f"Request: seed {self.seed} is not the first of seeds {list(seeds)}")
        object.__setattr__(self, "seeds", seeds)


@dataclass(frozen=True)
class Progress:
    """A progress report. ``preview`` is an encoded image (PNG or JPEG bytes);
    ``partial_text`` is the text streamed since the previous report."""

    step: int
    total: int
    message: str = ""
    preview: bytes | None = None
    partial_text: str = ""


class RunState:
    """The channel between a running generator and the app.

    A generator calls :meth:`progress` as it works and checks :attr:`cancelled`
    between steps (or calls :meth:`raise_if_cancelled`). The worker fills in
    the reporting function; tests may construct one directly and read
    :attr:`reports`.
    """

    def __init__(self, report: Callable[[Progress], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._report = report
        self.reports: list[Progress] = []

    @property
    def cancelled(self) -> bool:
        """True once the user has cancelled the job."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the generator to stop (called by the worker, or by a test)."""
        self._cancel.set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`CancelledError` if the job was cancelled."""
        if self._cancel.is_set():
            raise CancelledError("cancelled by the user")

    def progress(self, step: int, total: int, message: str = "", *,
                 preview: bytes | Any | None = None, partial_text: str = "") -> None:
        """Report that ``step`` of ``total`` steps are done.

        ``preview`` may be PNG/JPEG bytes or a PIL image (encoded here as a
        small JPEG). ``partial_text`` is new streamed text, not the whole text so far.
        """
        if preview is not None and not isinstance(preview, (bytes, bytearray)):
            preview = encode_preview(preview)
        report = Progress(step=int(step), total=int(total), message=message,
                          preview=bytes(preview) if preview is not None else None,
                          partial_text=partial_text)
        if self._report is None:
            self.reports.append(report)
        else:
            self._report(report)


def encode_preview(image: Any, max_side: int = 256) -> bytes:
    """Encode a PIL image (or an HxWx3 uint8 array) as a small JPEG for previews."""
    import io

    from PIL import Image

    if not isinstance(image, Image.Image):
        image = Image.fromarray(image)
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


@dataclass
class Output:
    """One result of a run.

    Give either ``data`` (bytes, or ``text`` for text and code) or ``path`` (a
    file the generator wrote in ``request.output_dir``); ``suffix`` is the file
    extension (``".png"``, ``".wav"``, ``".txt"``). ``metadata`` is added to the
    asset's recipe (for example image size, token counts, a ``parameters``
    text). ``partial`` marks a result cut short by cancellation that the user
    may keep or discard. ``title`` (API 1.4) names the asset where the prompt does not (a
    tune's name, "Reel in D (MIDI)"): the gallery shows it and search finds it; one line,
    at most :data:`TITLE_MAX` characters.
    """

    kind: str
    data: bytes | None = None
    path: Path | None = None
    suffix: str = ""
    text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    partial: bool = False
    title: str = ""

    def __post_init__(self) -> None:
        if self.kind not in MODALITIES:
            raise ValueError(f"output kind {self.kind!r} is not one of {MODALITIES}")
        self.title = check_title(self.title)
        given = sum(x is not None for x in (self.data, self.path, self.text))
        if given != 1:
            raise ValueError("an Output needs exactly one of data, path or text")
        if self.text is not None:
            self.data = self.text.encode("utf-8")
            if not self.suffix:
                self.suffix = ".py" if self.kind == "code" else ".txt"
        if self.path is not None:
            self.path = Path(self.path)
            if not self.suffix:
                self.suffix = self.path.suffix
        if not self.suffix:
            raise ValueError(f"{self.kind} output: give a file suffix such as '.png'")
        if not self.suffix.startswith("."):
            self.suffix = "." + self.suffix


@runtime_checkable
class Generator(Protocol):
    """The object a :class:`GeneratorSpec` factory returns.

    The worker calls ``load`` once (and keeps the loaded object for later jobs
    with the same model and device), ``run`` for each job, and ``unload`` before
    dropping it. Heavy imports (torch, diffusers...) belong in ``load``.
    """

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        """Load ``model`` onto ``device`` with ``dtype`` (``None`` model: the generator needs none)."""

    def run(self, request: Request, state: RunState) -> list[Output]:
        """Validate ``request``, generate, report progress through ``state``, return outputs."""

    def unload(self) -> None:
        """Free what ``load`` took (GPU memory above all)."""
