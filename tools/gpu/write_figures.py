"""Write tools/gpu/check.sh's figures into docs/benchmarks.md, between its GPU markers.

``python tools/gpu/write_figures.py --tests LOG --bench LOG --info TEXT --doc docs/benchmarks.md``

Only the text between ``<!-- gpu:begin -->`` and ``<!-- gpu:end -->`` is replaced (the
markers are added at the end when the file lacks them; the file is made when missing);
the write is atomic (temp file, fsync, rename). Standard library only: it runs on the
bare GPU machine.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

BEGIN, END = "<!-- gpu:begin -->", "<!-- gpu:end -->"
_FIGURE = re.compile(r"^(?P<name>.+?)\s+(?P<ms>[\d.]+) ms\s+vs (?P<base>.+?)\s+(?P<base_ms>[\d.]+) ms\s+"
                     r"ratio\s+(?P<ratio>[\d.]+|inf)x(?P<rest>.*)$")
_SUMMARY = re.compile(r"^=*\s*(?P<text>(\d+ (passed|failed|skipped|errors?|xfailed|xpassed|deselected)"
                      r"(, )?)+)(?: in [\d.]+s.*)?=*\s*$")


def figures(bench_log: str) -> list[dict[str, str]]:
    """The benchmark lines of a ``tests.benchmarks`` run (see tests/benchmarks/_report.py)."""
    rows = []
    for line in bench_log.splitlines():
        match = _FIGURE.match(line.strip())
        if match:
            rest = match["rest"]
            goal = re.search(r"goal <= ([\d.]+)x: (met|NOT MET)", rest)
            note = re.search(r"\((.*)\)\s*$", rest)
            rows.append({"name": match["name"].strip(), "ms": match["ms"], "base": match["base"].strip(),
                         "base_ms": match["base_ms"], "ratio": match["ratio"],
                         "goal": f"<= {goal[1]}x: {goal[2]}" if goal else "",
                         "note": note[1] if note else ""})
    return rows


def test_summary(tests_log: str) -> tuple[str, list[str]]:
    """pytest's closing count (``10 passed, 2 skipped``) and its skip/failure lines."""
    summary = "no test summary (the run was cut off?)"
    details = []
    for line in tests_log.splitlines():
        match = _SUMMARY.match(line.strip())
        if match:
            summary = match["text"].strip()
        if line.startswith(("SKIPPED", "FAILED", "ERROR")):
            details.append(line.strip())
    return summary, details


def section(info: str, tests_log: str, bench_log: str, when: str) -> str:
    """The Markdown between the markers."""
    summary, details = test_summary(tests_log)
    lines = [BEGIN, f"### GPU paths (tools/gpu/check.sh, {when})", "", f"Device: {info.strip() or 'unknown'}",
             "", f"GPU tests (`pytest -m gpu tests/gpu`): {summary}"]
    lines += [f"- `{d[:300]}`" for d in details[:20]]
    rows = figures(bench_log)
    lines += ["", "| figure | ms | baseline | ms | ratio | goal | note |", "|---|---:|---|---:|---:|---|---|"]
    lines += [f"| {r['name']} | {r['ms']} | {r['base']} | {r['base_ms']} | {r['ratio']}x | {r['goal']} | "
              f"{r['note'].replace('|', '/')} |" for r in rows]
    if not rows:
        lines.append("| (no figures: the benchmark did not finish) | | | | | | |")
    lines += ["", END]
    return "\n".join(lines)


def replace_section(document: str, new: str) -> str:
    """``document`` with the text from BEGIN to END replaced by ``new`` (appended when absent)."""
    start, end = document.find(BEGIN), document.find(END)
    if start == -1 or end == -1 or end < start:
        return document.rstrip("\n") + "\n\n" + new + "\n"
    return document[:start] + new + document[end + len(END):]


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=Path, required=True, help="the GPU tests' pytest output")
    parser.add_argument("--bench", type=Path, required=True, help="python -m tests.benchmarks gpu's output")
    parser.add_argument("--info", default="", help="the GPU, driver, torch and CUDA versions")
    parser.add_argument("--doc", type=Path, default=Path("docs/benchmarks.md"))
    args = parser.parse_args(argv)
    read = [p.read_text(encoding="utf-8", errors="replace") if p.is_file() else "" for p in (args.tests, args.bench)]
    document = args.doc.read_text(encoding="utf-8") if args.doc.is_file() else "# Benchmarks\n"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    write_atomic(args.doc, replace_section(document, section(args.info, read[0], read[1], when)))
    print(f"wrote the GPU section of {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
