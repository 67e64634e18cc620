"""Train the example plugin's shapes decoder and write its safetensors file.

    python training/train_decoder.py            # writes src/genloom_example/models/shapes-decoder/model.safetensors
    python training/train_decoder.py --steps 50 --out /tmp/decoder   # a quick try

The data are drawn by genloom_example.shapes (exact, anti-aliased masks of four shapes
at random positions and sizes), so nothing is downloaded. Everything random comes from
--seed (default 0) and torch runs single-threaded with deterministic algorithms, so a
run repeats exactly with the same torch build; about 40 seconds of one CPU core for the
default 1000 steps. The mean squared error on a held-out batch is printed and written
into the model card's numbers (training.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # the plugin's own package, installed or not

DEFAULT_OUT = HERE.parent / "src" / "genloom_example" / "models" / "shapes-decoder"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--examples", type=int, default=4096, help="training pictures drawn")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from safetensors.torch import save_file

    from genloom_example.net import WEIGHTS, build_decoder, decoder_input
    from genloom_example.shapes import SHAPES, render

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)

    def examples(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        shapes = rng.integers(0, len(SHAPES), n)
        codes = rng.uniform(-1, 1, (n, 3))
        target = torch.from_numpy(render(shapes, codes))[:, None]
        return decoder_input(torch.from_numpy(shapes), torch.from_numpy(codes).float()), target

    # Drawn once: rendering costs more than a training step.
    train_in, train_target = examples(args.examples)
    held_in, held_target = examples(512)
    net = build_decoder()
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, args.steps)
    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        pick = torch.randint(0, len(train_in), (args.batch,))
        inputs, target = train_in[pick], train_target[pick]
        loss = torch.nn.functional.mse_loss(net(inputs), target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 250 == 0 or step == args.steps:
            print(f"step {step}/{args.steps}  loss {loss.item():.5f}")
    with torch.no_grad():
        held_out = torch.nn.functional.mse_loss(net(held_in), held_target).item()
    seconds = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(args.out / WEIGHTS), metadata={"format": "pt"})
    (args.out / WEIGHTS).chmod(0o644)  # safetensors writes it private; it ships in a package
    numbers = {"steps": args.steps, "batch": args.batch, "examples": args.examples, "seed": args.seed,
               "held_out_mse": round(held_out, 6), "seconds": round(seconds, 1),
               "torch": torch.__version__}
    (args.out / "training.json").write_text(json.dumps(numbers, indent=1) + "\n", encoding="utf-8")
    print(f"held-out MSE {held_out:.5f}; {seconds:.0f} s; wrote {args.out / WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
