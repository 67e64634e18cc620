"""Mean token loss of code models on Python that none of them trained on: Genloom's own.

The code models' own held-out losses come from their own corpora, so they cannot be
compared across models trained on different data. This scores every model given on the
same text: the first ``--files`` modules under ``desktop/genloom/core`` (sorted by path;
Genloom's code is in no training corpus), in windows of ``--window`` tokens (at most four
per file), fp32 on the CPU, one thread. Models must share a tokenizer for the numbers to
be comparable token for token (stdlib-llama and the CPU code-v2 do).

    python tools/code_heldout_loss.py plugins/genloom_code/models/stdlib-llama OTHER_FOLDER
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path, help="transformers model folders")
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--window", type=int, default=384)
    args = parser.parse_args()
    import torch
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    torch.set_num_threads(1)
    files = sorted((ROOT / "desktop" / "genloom" / "core").rglob("*.py"))[: args.files]
    for folder in args.models:
        tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for path in files:
                ids = tokenizer(path.read_text(encoding="utf-8"), add_special_tokens=False).input_ids
                for start in range(0, min(len(ids), args.window * 4), args.window):
                    chunk = torch.tensor([ids[start:start + args.window]])
                    if chunk.shape[1] < 16:
                        continue
                    loss = model(chunk, labels=chunk).loss.item()
                    total += loss * (chunk.shape[1] - 1)
                    count += chunk.shape[1] - 1
        mean = total / count
        print(f"{folder}: {mean:.4f} nats/token over {count} tokens of {len(files)} files "
              f"(perplexity {math.exp(mean):.1f})")


if __name__ == "__main__":
    main()
