"""An offline feature space for scoring image generators, and the scores computed in it.

No Inception network can be downloaded here, so the features are the penultimate layer
(128 values, after global average pooling) of a small CNN trained by this script on the
*train* split of ``prepare_icons.py``'s archive to predict each image's category: the
emoji subgroup ("face smiling", "animal mammal", ...) or the icon context ("places",
"actions", ...), read from the caption. Training is seeded and augmented (flips where
allowed, ink jitter, shifts); the held-out names are never seen, so generated images of
held-out captions are compared with real images the network did not learn.

    python features.py --data /work/data/icons64.npz --out feature_net.safetensors

Scores (numpy only; images are compared in this feature space):

- ``frechet_distance``: FD between Gaussians fitted to two sets (FID's formula);
- ``precision_recall``: the k-NN manifold estimate of Kynkäänniemi et al. (2019):
  precision = share of generated samples inside some real sample's k-NN ball, recall =
  share of real samples inside some generated sample's ball;
- ``mean_pairwise_distance``: diversity, the mean L2 distance between all pairs of a set
  (e.g. the seeds of one caption).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

FEATURE_DIM = 128
INPUT_SIZE = 64


def make_net(classes: int, width: int = 16) -> object:
    """The classifier: four stride-2 conv blocks (64 -> 4 px), average pool, linear head."""
    import torch.nn as nn

    def block(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU())

    body = nn.Sequential(block(3, width), block(width, 2 * width), block(2 * width, 4 * width),
                         block(4 * width, FEATURE_DIM), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Sequential(body, nn.Linear(FEATURE_DIM, classes))


def category(caption: str) -> str:
    """The label of a caption: the words after 'emoji, ' or 'icon, ' up to the next comma."""
    m = re.search(r"\b(emoji|icon), ([^,]+)", caption)
    return f"{m.group(1)}: {m.group(2)}" if m else "other"


def to_input(images: np.ndarray) -> object:
    """uint8 (N,H,W,3) at any size -> float tensor (N,3,64,64) in [-1, 1] (bilinear resize)."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
    if x.shape[-1] != INPUT_SIZE or x.shape[-2] != INPUT_SIZE:
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True)
    return x


class FeatureNet:
    """A trained classifier's penultimate layer: ``features(images_uint8) -> (N, 128)`` float64."""

    def __init__(self, net: object, labels: list[str]) -> None:
        self.net = net
        self.labels = labels

    @classmethod
    def load(cls, path: Path) -> FeatureNet:
        """Load weights and labels saved by ``save``."""
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), framework="pt") as f:
            labels = json.loads(f.metadata()["labels"])
        net = make_net(len(labels))
        net.load_state_dict(load_file(str(path)))  # type: ignore[attr-defined]
        return cls(net.eval(), labels)  # type: ignore[attr-defined]

    def save(self, path: Path) -> None:
        """Safetensors with the labels in the metadata."""
        from safetensors.torch import save_file

        state = {k: v.contiguous() for k, v in self.net.state_dict().items()}  # type: ignore[attr-defined]
        save_file(state, str(path), metadata={"labels": json.dumps(self.labels)})

    def features(self, images: np.ndarray, batch: int = 256) -> np.ndarray:
        """Penultimate-layer features of uint8 images (any square size; resized to 64)."""
        import torch

        out = []
        with torch.no_grad():
            for i in range(0, len(images), batch):
                out.append(self.net[0](to_input(images[i:i + batch])).double().numpy())  # type: ignore[index]
        return np.concatenate(out) if out else np.zeros((0, FEATURE_DIM))


def train(images: np.ndarray, captions: np.ndarray, flip_ok: np.ndarray, steps: int, seed: int,
          batch: int = 64, lr: float = 2e-3, log_every: int = 100) -> tuple[FeatureNet, float]:
    """Train the classifier (seeded, augmented); returns it and its final training accuracy."""
    import torch
    import torch.nn.functional as F
    from prepare_icons import augment

    labels = sorted({category(str(c)) for c in captions})
    index = {label: i for i, label in enumerate(labels)}
    y_all = torch.tensor([index[category(str(c))] for c in captions])
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = make_net(len(labels))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)  # type: ignore[attr-defined]
    correct = seen = 0
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * step / steps))
        idx = rng.integers(0, len(images), batch)
        x = to_input(augment(images[idx], flip_ok[idx], rng))
        logits = net(x)  # type: ignore[operator]
        loss = F.cross_entropy(logits, y_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= steps * 0.8:  # accuracy over the last fifth of the run
            correct += int((logits.argmax(1) == y_all[idx]).sum())
            seen += batch
        if log_every and step % log_every == 0:
            print(f"features step {step}/{steps} loss {loss.item():.3f}", flush=True)
    return FeatureNet(net.eval(), labels), correct / max(1, seen)  # type: ignore[attr-defined]


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets ``a`` and ``b`` (rows are samples).

    Tr(sqrt(S_a S_b)) is computed as the sum of square roots of the eigenvalues of
    sqrt(S_a) S_b sqrt(S_a), which is symmetric, so no complex matrix square root is needed.
    """
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"need at least two samples in each set, got {len(a)} and {len(b)}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(middle, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and ``b``."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(d2, 0, None))


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    """Each row's distance to its k-th nearest other row."""
    d = _pairwise(x, x)
    return np.sort(d, axis=1)[:, min(k, len(x) - 1)]  # column 0 is the row itself


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN balls."""
    if len(real) <= k or len(fake) <= k:
        raise ValueError(f"need more than k={k} samples in each set, got {len(real)} and {len(fake)}")
    real_r, fake_r = _radii(real, k), _radii(fake, k)
    d = _pairwise(fake, real)  # fake x real
    precision = float((d <= real_r[None, :]).any(axis=1).mean())
    recall = float((d.T <= fake_r[None, :]).any(axis=1).mean())
    return precision, recall


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean L2 distance over all distinct pairs of rows (0 for fewer than two)."""
    if len(x) < 2:
        return 0.0
    d = _pairwise(x, x)
    return float(d[np.triu_indices(len(x), 1)].mean())


def main() -> None:
    """Train the feature network on the archive's train split and save it."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="prepare_icons.py archive")
    p.add_argument("--out", type=Path, required=True, help=".safetensors to write")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    with np.load(args.data) as data:
        keep = data["split"] == "train"
        images, captions, flip_ok = data["images"][keep], data["captions"][keep], data["flip_ok"][keep]
    t0 = time.time()
    net, accuracy = train(images, captions, flip_ok, args.steps, args.seed, batch=args.batch)
    net.save(args.out)
    print(f"wrote {args.out}: {len(net.labels)} categories, training accuracy {accuracy:.3f} over the last "
          f"fifth, {time.time() - t0:.0f}s on {args.threads} threads")


if __name__ == "__main__":
    main()
