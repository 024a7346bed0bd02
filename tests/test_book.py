"""Book-wide checks: structure, template, provenance of outputs, hygiene.

Each test is parametrized by notebook (ids are the notebook's file stem), so
`pytest tests -k consistent-hashing` checks one chapter.
"""
from __future__ import annotations

import datetime as dt
import json
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOT_CHAPTERS = {"intro", "status", "bibliography"}
BUDGET_SECONDS = 30

# Template roles of BOOK-GUIDE §4, in order, and words that may name each role's "## " heading.
ROLES = [
    ("question", ["question"]),
    ("what the original gets wrong", ["wrong", "errata", "defect"]),
    ("how it works", ["how it works", "idea", "concept", "design"]),
    ("implementation", ["implement"]),
    ("seeing it", ["seeing", "visual", "picture"]),
    ("under stress", ["stress", "fault", "failure", "scale", "benchmark"]),
    ("self-check", ["self-check", "check", "test"]),
    ("in the interview", ["interview"]),
    ("exercises", ["exercise"]),
    ("references", ["reference", "further reading"]),
]
ABSOLUTE_PATH = re.compile(r"(/root/|/home/|/tmp/|/work/|/Users/|[A-Z]:\\\\Users)")
BUILTIN_HASH = re.compile(r"(?<![\w.])hash\(")
FORMATTED_SQL = re.compile(r"execute(many|script)?\(\s*f[\"']")


def notebooks() -> list[pathlib.Path]:
    return sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def chapters() -> list[pathlib.Path]:
    return [p for p in notebooks() if p.stem not in NOT_CHAPTERS]


def load(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def headings(nb: dict) -> list[str]:
    return [line[3:].strip().lower() for c in nb["cells"] if c["cell_type"] == "markdown"
            for line in source(c).splitlines() if line.startswith("## ")]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        stack = list(part.get("chapters", []))
        while stack:
            entry = stack.pop(0)
            files.append(entry["file"])
            stack.extend(entry.get("sections", []))
    return files


by_stem = pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
by_chapter = pytest.mark.parametrize("path", chapters(), ids=lambda p: p.stem)


# --- the table of contents --------------------------------------------------------------

def test_every_toc_entry_exists():
    missing = [f for f in toc_files()
               if not any((ROOT / f).with_suffix(s).exists() for s in (".ipynb", ".md"))]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"


def test_every_page_is_in_the_toc():
    listed = set(toc_files())
    pages = [p for p in BOOK.rglob("*") if p.suffix in (".ipynb", ".md") and ".ipynb_checkpoints" not in p.parts]
    orphans = sorted(str(p.relative_to(ROOT).with_suffix("")) for p in pages
                     if str(p.relative_to(ROOT).with_suffix("")) not in listed)
    assert not orphans, f"pages missing from _toc.yml: {orphans}"


# --- the chapter template ---------------------------------------------------------------

@by_chapter
def test_template_roles_in_order(path):
    heads = headings(load(path))
    position = -1
    for role, words in ROLES:
        found = [i for i, h in enumerate(heads) if any(w in h for w in words) and i > position]
        assert found, f"no '## ' heading for the role '{role}' after {heads[position] if position >= 0 else 'the start'!r}"
        position = found[0]


@by_chapter
def test_errata_table_cites_defect_ids(path):
    text = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    ids = set(re.findall(r"\b[A-Z]{2,4}-\d{2}\b", text))
    assert len(ids) >= 3, f"the errata section should cite the seed-errata defect IDs it fixes, found {sorted(ids)}"


@by_chapter
def test_exercises_have_solutions(path):
    text = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    exercises = re.findall(r"```\{exercise(?:-start)?\}", text)
    solutions = re.findall(r"```\{solution(?:-start)?\}", text)
    assert 3 <= len(exercises) <= 5, f"{len(exercises)} exercises; the template asks for 3 to 5"
    assert len(solutions) == len(exercises), "every exercise needs a (dropdown) solution"


@by_chapter
def test_at_least_two_checked_figures(path):
    figures = [c for c in code_cells(load(path)) if "nbval-ignore-output" not in tags(c)
               and any("image/png" in o.get("data", {}) for o in c["outputs"])]
    assert len(figures) >= 2, "a chapter needs at least two figures whose pixels CI checks"


# --- provenance of the committed outputs ----------------------------------------------

@by_stem
def test_outputs_come_from_one_clean_run(path):
    counts = [c["execution_count"] for c in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts} are not 1..n: re-run with `python tools/refresh.py {path.relative_to(ROOT)}`")


@by_stem
def test_errors_only_where_tagged(path):
    for i, cell in enumerate(code_cells(load(path)), 1):
        errored = any(o["output_type"] == "error" for o in cell["outputs"])
        expected = "raises-exception" in tags(cell)
        assert errored == expected, (f"code cell {i}: " + (
            "error output without the raises-exception tag" if errored else
            "tagged raises-exception but raised nothing"))


@by_stem
def test_no_absolute_machine_paths_in_outputs(path):
    text = json.dumps([c["outputs"] for c in code_cells(load(path))])
    match = ABSOLUTE_PATH.search(text)
    assert not match, f"absolute path in outputs near {text[max(0, match.start() - 60):match.end() + 60]!r}"


@by_stem
def test_run_time_within_budget(path):
    cells = [c for c in code_cells(load(path)) if "execution" in c.get("metadata", {})]
    if not cells:
        pytest.skip("no timing recorded (notebook without code)")
    start = dt.datetime.fromisoformat(cells[0]["metadata"]["execution"]["iopub.status.busy"])
    end = dt.datetime.fromisoformat(cells[-1]["metadata"]["execution"]["shell.execute_reply"])
    assert (end - start).total_seconds() <= BUDGET_SECONDS


# --- code hygiene -------------------------------------------------------------------------

@by_stem
def test_no_builtin_hash_and_no_formatted_sql(path):
    code = "\n".join(source(c) for c in code_cells(load(path)))
    assert not BUILTIN_HASH.search(code), "built-in hash() is salted per process; use hashlib"
    assert not FORMATTED_SQL.search(code), "SQL built with an f-string; pass parameters instead"


@by_stem
def test_no_test_plumbing_comments(path):
    code = "\n".join(source(c) for c in code_cells(load(path)))
    assert "NBVAL_" not in code, "use cell tags (nbval-ignore-output, raises-exception), not # NBVAL comments"


@by_stem
def test_redis_preamble_is_the_canonical_one(path):
    """Every chapter that talks to Redis connects through the same helper, byte for byte."""
    canonical = (ROOT / "tests" / "redis_preamble.py").read_text().strip()
    cells = [source(c).strip() for c in code_cells(load(path)) if re.search(r"^def redis_node\(", source(c), re.M)]
    uses_redis = any(re.search(r"^(import|from) (fake)?redis\b", source(c), re.M) for c in code_cells(load(path)))
    if not uses_redis:
        pytest.skip("chapter does not use Redis")
    assert cells == [canonical], "copy tests/redis_preamble.py unchanged into one cell of the notebook"


@by_chapter
def test_colab_setup_cell_is_first_and_current(path):
    """Colab lacks several pinned packages; the first code cell installs them there (and only there)."""
    import sys

    import nbformat

    sys.path.insert(0, str(ROOT / "tools"))
    import colab_cell

    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert colab_cell.TAG in first.metadata.get("tags", []), (
        f"the first code cell must be the Colab setup cell: run `python tools/colab_cell.py {path.relative_to(ROOT)}`")
    assert first.source == colab_cell.setup_source(nb), (
        f"the Colab setup cell is out of date: run `python tools/colab_cell.py {path.relative_to(ROOT)}`")
    assert not first.outputs, "outside Colab the setup cell must do nothing"
