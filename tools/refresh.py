"""Re-execute notebooks in place, top to bottom, in a fresh kernel: the one command to refresh
the committed outputs after editing a notebook.

Usage:
    python tools/refresh.py book/consistent-hashing.ipynb [more.ipynb ...]
    python tools/refresh.py --all
    python tools/refresh.py --no-status book/<chapter>.ipynb   # leave the status page alone

Outputs are always produced with the embedded fakeredis (REDIS_URL is ignored here), because
that is what a reader without a server gets; CI then re-runs the Redis chapters against a real
server and requires identical outputs. The execution-status page (book/status.ipynb) reads the
other notebooks' timings, so it is refreshed last, every time.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
STATUS = ROOT / "book" / "status.ipynb"
REDIS_VARIABLES = ("REDIS_URL", "REDIS_NODE_URLS")


def book_notebooks() -> list[pathlib.Path]:
    """Every notebook of the book, status page excluded."""
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and p != STATUS)


def refresh(path: pathlib.Path) -> float:
    """Execute one notebook in place; return its wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # start from nothing, so no stale output survives a failed run
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    nbformat.write(nb, path)
    return elapsed


def targets_parser(doc: str) -> argparse.ArgumentParser:
    """The command line shared by the tools: notebooks, or --all (each tool may add flags)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--all", action="store_true", help="every notebook in book/ but the status page")
    return parser


def notebook_targets(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[pathlib.Path]:
    """The notebooks named on the command line, or every chapter with --all."""
    targets = book_notebooks() if args.all else [p.resolve() for p in args.notebooks]
    if not targets:
        parser.error("name at least one notebook, or --all")
    return targets


def main() -> int:
    parser = targets_parser(__doc__)
    parser.add_argument("--no-status", action="store_true",
                        help="do not refresh the status page (several refreshes at once)")
    args = parser.parse_args()
    targets = notebook_targets(parser, args)
    for name in REDIS_VARIABLES:
        os.environ.pop(name, None)
    last = [] if args.no_status else [STATUS]
    for path in [*[t for t in targets if t != STATUS.resolve()], *last]:
        if path.exists():
            print(f"{refresh(path):6.1f} s  {path.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
