"""Write each chapter's Colab setup cell: the first code cell, which installs (on Colab only)
the book's pinned versions of the packages the chapter imports and Colab does not provide.

Usage:  python tools/colab_cell.py book/<chapter>.ipynb [...]   (or --all)

Run it after changing a chapter's imports, then `tools/refresh.py` on the chapter. A test
(tests/test_book.py) fails when a chapter's cell is missing or out of date.
"""
from __future__ import annotations

import ast
import importlib.metadata
import pathlib
import re
import sys
import textwrap

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
TAG = "colab-setup"
TAGS = [TAG, "hide-cell"]  # collapsed on the site: plumbing, not teaching
# Colab's runtime ships these; reinstalling them there can break the runtime, so we don't.
COLAB_PROVIDES = {"numpy", "matplotlib", "matplotlib-inline", "scipy", "scikit-learn", "ipython",
                  "ipykernel"}
EXTRAS = {"fakeredis": "[lua]"}  # the Lua extra is needed for atomic compare-and-delete scripts
HEADER = "# On Google Colab, install this chapter's pinned packages; anywhere else this cell does nothing."


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    """Distribution name (normalized) -> 'Name==version' from requirements.txt."""
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)", line)
        if match:
            found[normalize(match[1])] = f"{match[1]}=={match[3]}"
    return found


def called_name(call: ast.Call) -> str:
    """`f` for `f(...)` and for `module.f(...)`."""
    return getattr(call.func, "attr", getattr(call.func, "id", ""))


def imported_modules(nb: nbformat.NotebookNode) -> set[str]:
    """Top-level names of every module the notebook's code cells import, and of packages it
    only locates for their data files: `importlib.util.find_spec("name")`, or `helper("name")`
    where `helper` is a function the notebook defines around find_spec."""
    names: set[str] = set()
    trees = []
    for cell in nb.cells:
        if cell.cell_type != "code" or TAG in cell.metadata.get("tags", []):
            continue
        try:
            trees.append(ast.parse(cell.source))
        except SyntaxError:  # a cell with IPython magics; the book's chapters have none
            continue
    locators = {"find_spec"} | {
        node.name for tree in trees for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(call, ast.Call) and called_name(call) == "find_spec"
            for call in ast.walk(node))}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
            elif (isinstance(node, ast.Call) and node.args and called_name(node) in locators
                  and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                names.add(node.args[0].value.split(".")[0])
    return names - set(sys.stdlib_module_names)


def install_line(nb: nbformat.NotebookNode) -> str:
    """The pinned requirements Colab needs for this notebook, sorted."""
    distributions = importlib.metadata.packages_distributions()
    pinned = pins()
    wanted = set()
    for module in imported_modules(nb):
        for dist in distributions.get(module, []):
            key = normalize(dist)
            if key not in COLAB_PROVIDES:
                if key not in pinned:
                    raise SystemExit(f"{module!r} comes from {dist!r}, which requirements.txt does not pin")
                name, version = pinned[key].split("==")
                wanted.add(f'"{name}{EXTRAS.get(key, "")}=={version}"' if key in EXTRAS else pinned[key])
    return " ".join(sorted(wanted, key=lambda s: s.strip('"').lower()))


def setup_source(nb: nbformat.NotebookNode) -> str:
    """The source of the chapter's Colab cell."""
    lines = textwrap.wrap(f"%pip install --quiet {install_line(nb)}", width=90,
                          break_long_words=False, break_on_hyphens=False)
    command = " \\\n        ".join(lines)  # IPython joins a magic's backslash-continued lines
    return f"{HEADER}\nimport sys\n\nif \"google.colab\" in sys.modules:\n    {command}"


def write_cell(path: pathlib.Path) -> bool:
    """Insert or update the Colab cell as the first code cell; True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    source = setup_source(nb)
    cells = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    if cells:
        if cells[0].source == source and cells[0].metadata.get("tags") == TAGS:
            return False
        cells[0].source = source
        cells[0].metadata["tags"] = list(TAGS)
    else:
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = list(TAGS)
        nb.cells.insert(first_code, cell)
    nbformat.write(nb, path)
    return True


def main() -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from refresh import notebook_targets, targets_parser

    parser = targets_parser(__doc__)
    for path in notebook_targets(parser, parser.parse_args()):
        print(("updated  " if write_cell(path) else "current  ") + str(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
