"""quiet_model_libraries: loading a model through Genloom prints no progress bars of
transformers or diffusers and no notice a user cannot act on (real processes, the
bundled image model; each run in a fresh interpreter, as the worker and CLI are)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMOJI = ROOT / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"
NOTICE = "requires torchvision (not installed)"
BAR = "Loading weights"

THROUGH_GENLOOM = """
import sys
from pathlib import Path
from genloom_image.pipelines import load_pipeline
load_pipeline(Path(sys.argv[1]), "cpu", "float32")
print("loaded")
"""

PLAIN = """
import sys
from diffusers import StableDiffusionPipeline
StableDiffusionPipeline.from_pretrained(sys.argv[1], use_safetensors=True, local_files_only=True,
                                        safety_checker=None, requires_safety_checker=False)
print("loaded")
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-c", code, str(EMOJI)], capture_output=True, text=True,
                         timeout=300, cwd=ROOT, env=_env())
    assert out.returncode == 0 and "loaded" in out.stdout, out.stderr[-2000:]
    return out


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "plugins"), os.environ.get("PYTHONPATH", "")])}


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None,
                    reason="with torchvision installed transformers has no fallback to announce")
def test_plain_diffusers_prints_the_notice_and_the_bar_that_genloom_keeps_quiet() -> None:
    """The control: the same load without Genloom's helper shows both (else the test below
    would prove nothing)."""
    plain = _run(PLAIN)
    assert NOTICE in plain.stderr and BAR in plain.stderr


def test_loading_through_genloom_shows_neither() -> None:
    quiet = _run(THROUGH_GENLOOM)
    assert NOTICE not in quiet.stderr
    assert BAR not in quiet.stderr


def test_a_real_warning_still_shows_after_quieting() -> None:
    code = ("from genloom.sdk.runtime import quiet_model_libraries\n"
            "quiet_model_libraries(); quiet_model_libraries()\n"
            "import logging\n"
            "from transformers.utils import logging as hf\n"
            "hf.get_logger('transformers.utils.import_utils').warning('a real problem')\n"
            "f = logging.getLogger('transformers.utils.import_utils').filters\n"
            "print('filters', len(f))\n"
            "import sys; print('diffusers imported', 'diffusers' in sys.modules)\n"
            "print('loaded')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, env=_env())
    assert out.returncode == 0, out.stderr[-2000:]
    assert "a real problem" in out.stderr
    assert "filters 1" in out.stdout  # called twice, filtered once
    # a language model's load does not pay for importing diffusers (seconds, cold)
    assert "diffusers imported False" in out.stdout
