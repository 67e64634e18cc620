"""Model library speed: scanning a big tree, rescanning it, hashing a big file.

Each figure is printed beside a baseline measured in the same run on the same
disk. Run it with ``python tests/benchmarks/bench_models.py``.

What is measured:

- *first scan*: ``ModelLibrary.scan`` of a fresh index over a tree of 10,000
  files (100 folders; 9,800 non-model files such as images, text and JSON; 180
  single-file safetensors models and 20 transformers-style model folders),
  identification through the image/text recognisers included; against
  ``os.walk`` plus ``os.stat`` of every file of the same tree (the least any
  scanner must do to notice a change).
- *rescan, nothing changed*: the same scan again on the filled index, which
  must read no file; against the same walk-and-stat baseline.
- the same two on a tree of the same shape where half the non-model files
  have suffixes that say nothing (2,450 ``.dat`` files of 2 KB, whose first
  bytes are read once, and 2,450 files without a suffix, under the sniffing
  threshold) and half the single-file models are named ``.weights``: the
  first scan reads their first bytes, the rescan must not.
- *hashing*: :func:`genloom.core.models.hashing.hash_file` (SHA-256, 4 MiB
  chunks) of a 200 MB file; against ``sha256sum`` of the same file (page cache
  warm for both).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

try:
    from tests.benchmarks._report import best_of, report
except ModuleNotFoundError:  # run as a script: python tests/benchmarks/bench_models.py
    from _report import best_of, report  # type: ignore[no-redef]

FOLDERS = 100
FILES = 10_000
SINGLE_MODELS = 180
MODEL_FOLDERS = 20
BIG_FILE_MB = 200
PLUGINS = Path(__file__).resolve().parents[1] / "fixtures" / "model_plugins"


def _safetensors(path: Path, seed: int) -> None:
    """A small valid safetensors file with kohya LoRA key names; distinct per seed."""
    name = f"lora_unet_block_{seed}_attn2_to_k"
    header = {f"{name}.lora_down.weight": {"dtype": "F32", "shape": [4, 768], "data_offsets": [0, 12288]},
              "__metadata__": {"seed": str(seed)}}
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + os.urandom(12288))


def build_tree(root: Path, unusual: bool = False) -> int:
    """Write the 10,000-file tree; returns the number of files written.

    ``unusual``: half the non-model files and half the single models get suffixes that say nothing.
    """
    written = 0
    for folder in range(FOLDERS):
        base = root / f"project-{folder // 10}" / f"folder-{folder}"
        base.mkdir(parents=True)
        in_folder = 3 if folder < MODEL_FOLDERS else 0  # config, weights and tokenizer of one LLM folder
        singles = SINGLE_MODELS // FOLDERS + (1 if folder < SINGLE_MODELS % FOLDERS else 0)
        for index in range(FILES // FOLDERS):
            if index < in_folder:
                model = base / "llm"
                model.mkdir(exist_ok=True)
                if index == 0:
                    (model / "config.json").write_text(json.dumps(
                        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "seed": folder}))
                elif index == 1:
                    _safetensors(model / "model.safetensors", 10_000 + folder)
                else:
                    (model / "tokenizer.json").write_text("{}")
            elif index < in_folder + singles:
                suffix = ".weights" if unusual and index % 2 else ".safetensors"
                _safetensors(base / f"model-{index}{suffix}", folder * 1000 + index)
            elif unusual and index % 4 == 2:
                (base / f"file-{index}.dat").write_bytes(os.urandom(2048))
            elif unusual and index % 4 == 3:
                (base / f"file-{index}").write_bytes(os.urandom(64))
            else:
                suffix = (".png", ".txt", ".json", ".py")[index % 4]
                (base / f"file-{index}{suffix}").write_bytes(os.urandom(64))
            written += 1
    return written


def walk_and_stat(root: Path) -> int:
    count = 0
    for folder, _, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))
            count += 1
    return count


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="genloom-bench-models-"))
    os.environ["GENLOOM_HOME"] = str(work / "home")
    os.environ["HF_HUB_OFFLINE"] = "1"
    from genloom.core.models import ModelLibrary
    from genloom.core.models.hashing import hash_file
    from genloom.core.plugins import PluginConfig, PluginManager

    try:
        plugins = PluginManager(PluginConfig(entry_points=False, plugin_dirs=[str(PLUGINS)])).load()
        runs = iter(range(100))
        for name, unusual in (("", False), (", half with unusual suffixes", True)):
            tree = work / f"tree-{int(unusual)}"
            files = build_tree(tree, unusual)
            assert walk_and_stat(tree) == files == FILES, files

            def first_scan(tree: Path = tree, unusual: bool = unusual) -> None:
                library = ModelLibrary(plugins, index_path=work / f"index-{next(runs)}.sqlite", hf_cache=False)
                library.add_folder(tree)
                result = library.scan()
                assert result.candidates == SINGLE_MODELS + MODEL_FOLDERS, result.candidates
                assert len(result.new_models) == SINGLE_MODELS + MODEL_FOLDERS
                assert (result.sniffed_files > 0) == unusual, result.sniffed_files
                library.close()

            walk = best_of(lambda tree=tree: walk_and_stat(tree), repeat=5)
            report(f"first scan, {FILES:,} files ({SINGLE_MODELS + MODEL_FOLDERS} models){name}",
                   best_of(first_scan, repeat=3), "os.walk + stat", walk, "hash + identify + index every model")

            library = ModelLibrary(plugins, index_path=work / f"index-rescan-{int(unusual)}.sqlite", hf_cache=False)
            library.add_folder(tree)
            library.scan()

            def rescan(library: ModelLibrary = library) -> None:
                result = library.scan()
                assert result.hashed_files == 0 and result.sniffed_files == 0, result
                assert not result.new_models and not result.missing

            report(f"rescan, nothing changed, {FILES:,} files{name}", best_of(rescan, repeat=5), "os.walk + stat",
                   walk, "reads no file")
            library.close()

        big = work / "big.bin"
        with open(big, "wb") as handle:
            for _ in range(BIG_FILE_MB):
                handle.write(os.urandom(1024 * 1024))
        expected = hash_file(big)  # also warms the page cache
        if shutil.which("sha256sum"):
            def sha256sum() -> None:
                out = subprocess.run(["sha256sum", str(big)], capture_output=True, text=True, check=True).stdout
                assert out.split()[0] == expected

            ours = best_of(lambda: hash_file(big), repeat=3)
            theirs = best_of(sha256sum, repeat=3)
            report(f"hash {BIG_FILE_MB} MB (SHA-256, 4 MiB chunks)", ours, "sha256sum", theirs,
                   f"{BIG_FILE_MB / ours:.0f} MB/s vs {BIG_FILE_MB / theirs:.0f} MB/s")
        else:
            print("sha256sum not found; hashing baseline skipped")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
