"""`kbtool check` beside bare jieba.lcut, counted in CPU instructions (valgrind's callgrind).

    python benchmarks/check_instructions.py [--articles 150]

Wall-clock ratios on a shared machine swing by ±10% between runs (jieba alone does); an
instruction count does not. Each side runs twice under callgrind, once doing the work and once
only setting up (imports, pack, reading the texts), and the difference is the work: the full
check (read + parse + detect + metrics) of the generated articles, and jieba.lcut of the same
texts. Needs valgrind (``apt-get install valgrind``); takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _corpus import generate_kb

CHECK = """
import sys
from pathlib import Path
from kbtool.core.detect import Detector
from kbtool.services.checking import check_paths
from kbtool.services.kb import iter_files
from kbtool.services.packs import load_pack
detector = Detector(load_pack())
paths = list(iter_files([Path(sys.argv[1])], []))
if sys.argv[2] == "work":
    check_paths(paths, detector)
"""

JIEBA = """
import sys
from pathlib import Path
import jieba
jieba.initialize()
from kbtool.services.kb import iter_files, read_article
texts = [read_article(p).text for p in iter_files([Path(sys.argv[1])], [])]
if sys.argv[2] == "work":
    for text in texts:
        jieba.lcut(text)
"""


def instructions(script: str, root: Path, mode: str, out: Path) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", script, str(root), mode],
        capture_output=True, text=True, env=env, check=True,
    )
    m = re.search(r"Collected : (\d+)", result.stderr)
    if not m:
        raise SystemExit(f"callgrind gave no count:\n{result.stderr[-2000:]}")
    return int(m.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=150)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "kb"
        chars = generate_kb(root, args.articles)
        runs = {(name, mode): (script, mode) for name, script in (("check", CHECK), ("jieba", JIEBA))
                for mode in ("work", "setup")}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            futures = {key: pool.submit(instructions, script, root, mode, Path(tmp) / f"cg.{key[0]}.{mode}")
                       for key, (script, mode) in runs.items()}
            counts = {key: f.result() for key, f in futures.items()}
    check = counts["check", "work"] - counts["check", "setup"]
    jieba = counts["jieba", "work"] - counts["jieba", "setup"]
    print(f"{args.articles} generated articles, {chars:,} characters")
    print(f"jieba.lcut   : {jieba / 1e6:10,.0f} M instructions ({jieba / chars:,.0f} per character)")
    print(f"kbtool check : {check / 1e6:10,.0f} M instructions ({check / chars:,.0f} per character)")
    print(f"ratio check/jieba: {check / jieba:.3f}  (goal <= 1.0)")


if __name__ == "__main__":
    main()
