"""Build a one-chapter site, strictly, to check a chapter's MyST (exercises, citations, figures)
without building the whole book.

Usage:  python tools/preview.py book/consistent-hashing.ipynb   -> prints the page's path

Chapters the page links to with {doc}`other-chapter` (and those they link to) are built with it,
so the links resolve.
"""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    chapter = pathlib.Path(sys.argv[1]).resolve().relative_to(ROOT).with_suffix("")
    out = pathlib.Path(tempfile.mkdtemp(prefix=f"preview-{chapter.stem}-"))
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    (out / "src").mkdir()
    (out / "src" / "book").symlink_to(ROOT / "book")
    config["bibtex_bibfiles"] = ["book/references.bib"]
    (out / "src" / "_config.yml").write_text(yaml.safe_dump(config))
    linked, todo = set(), [str(chapter)]
    while todo:  # the chapters it links to, the chapters they link to, and so on
        text = (ROOT / todo.pop()).with_suffix(".ipynb").read_text(encoding="utf-8")
        for name in re.findall(r"\{doc\}`(?:[^`<]*<)?([\w-]+)>?`", text):
            page = f"book/{name}"
            if page not in linked and (ROOT / page).with_suffix(".ipynb").exists():
                linked.add(page)
                todo.append(page)
    linked = sorted(linked - {str(chapter)})
    chapters = [{"file": name} for name in [*linked, "book/bibliography"]]
    toc = {"format": "jb-book", "root": str(chapter), "chapters": chapters}
    (out / "src" / "_toc.yml").write_text(yaml.safe_dump(toc))
    result = subprocess.run([str(pathlib.Path(sys.executable).with_name("jupyter-book")), "build", str(out / "src"), "-n", "-W",
                             "--keep-going", "--path-output", str(out)])
    print(out / "_build" / "html" / "index.html")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
