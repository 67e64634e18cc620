"""The figures of issue #21 that the perfa work is about: ``python -m tests.benchmarks perfa``.

App start-up (to the first paint and to the project shown, against a bare PySide6
window) and the gallery's scroll frame (against a plain ``QListView``), each with its
baseline measured in the same run; see :mod:`bench_app` and :mod:`bench_gallery`.
"""

from __future__ import annotations


def main() -> None:
    from tests.benchmarks import bench_app, bench_gallery

    bench_app.main(with_stalls=False)
    bench_gallery.main()


if __name__ == "__main__":
    main()
