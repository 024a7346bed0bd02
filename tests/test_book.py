"""Book-wide checks: structure, template, provenance of outputs, hygiene.

Each test is parametrized by notebook (ids are the notebook's file stem), so
`pytest tests -k consistent-hashing` checks one chapter.
"""
from __future__ import annotations

import datetime as dt
import json
import pathlib
import re

import base64
import struct
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOT_CHAPTERS = {"intro", "status", "bibliography"}
BUDGET_SECONDS = 30
CAPSTONE_BUDGET_SECONDS = 45  # the capstone starts a whole service (issue 13)

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
MAX_LINE = 100  # characters in a code line or a printed line (BOOK-GUIDE 5b)
COLUMN_PX = 784  # the width at which the site shows a figure on a desktop screen
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The sources are "collection A" and "collection B", headings "A #9"; these older names are not.
OLD_SOURCE_NAMES = re.compile(r"\b(000|004) #\d|\b(collection|seed) 00[04]\b|\b(first|second) collection\b"
                              r"|\bseed file\b", re.I)


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


def chapter_numbers() -> dict[str, int]:
    """Chapter stem -> its printed number (chapters are numbered across the numbered parts)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc.get("parts", []) if part.get("numbered")
             for c in part.get("chapters", [])]
    return {pathlib.Path(f).stem: n for n, f in enumerate(files, 1)}


def output_lines(cell: dict) -> list[str]:
    """The lines a reader sees printed under a code cell (figures excluded)."""
    lines = []
    for out in cell["outputs"]:
        if out["output_type"] == "stream":
            lines += "".join(out["text"]).splitlines()
        elif out["output_type"] == "error":
            lines += [ln for tb in out["traceback"] for ln in ANSI.sub("", tb).splitlines()]
        elif "image/png" not in out.get("data", {}):
            lines += "".join(out.get("data", {}).get("text/plain", "")).splitlines()
    return lines


def png_width(data: str) -> int:
    """Pixel width from a base64 PNG's IHDR chunk."""
    return struct.unpack(">I", base64.b64decode(data[:64])[16:20])[0]


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


def fenced_code_lines(markdown: str) -> list[str]:
    """Lines inside ``` code blocks of a markdown cell; a MyST directive's fence (```{exercise})
    holds options or prose, which the browser wraps, so its lines are not counted."""
    lines, block = [], None  # None, "code" or "directive"
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            if block is None:
                block = "directive" if "{" in line else "code"
            else:
                block = None
            continue
        if block == "code":
            lines.append(line)
    return lines


@by_stem
def test_lines_fit_the_page(path):
    """Code, printed output and markdown code blocks stay within 100 characters, so nothing
    scrolls sideways."""
    wide = []
    for i, cell in enumerate(code_cells(load(path)), 1):
        wide += [f"cell {i} code: {ln[:60]}..." for ln in source(cell).splitlines() if len(ln) > MAX_LINE]
        wide += [f"cell {i} output: {ln[:60]}..." for ln in output_lines(cell) if len(ln) > MAX_LINE]
    for i, cell in enumerate(load(path)["cells"], 1):
        if cell["cell_type"] == "markdown":
            wide += [f"cell {i} markdown code block: {ln[:60]}..."
                     for ln in fenced_code_lines(source(cell)) if len(ln) > MAX_LINE]
    assert not wide, f"{len(wide)} lines over {MAX_LINE} characters:\n" + "\n".join(wide[:15])


@by_chapter
def test_figures_are_sharp_fit_the_column_and_have_alt_text(path):
    """Every figure: a 2x PNG (sharp on high-density screens), shown at most a column wide,
    with a one-sentence alt text in the cell's metadata (mystnb.image.alt)."""
    problems = []
    for i, cell in enumerate(code_cells(load(path)), 1):
        for out in cell["outputs"]:
            if "image/png" not in out.get("data", {}):
                continue
            shown = out.get("metadata", {}).get("image/png", {}).get("width")
            pixels = png_width(out["data"]["image/png"])
            if not shown or pixels < 2 * shown - 2:
                problems.append(f"cell {i}: {pixels} px PNG shown at {shown} px (use the figure style cell)")
            elif shown > COLUMN_PX:
                problems.append(f"cell {i}: shown {shown} px wide, wider than the {COLUMN_PX} px column")
        has_image = any("image/png" in o.get("data", {}) for o in cell["outputs"])
        alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
        if has_image and len(alt.split()) < 6:
            problems.append(f"cell {i}: alt text {alt!r} (say in one sentence what the figure shows)")
    assert not problems, "\n".join(problems)


@by_chapter
def test_figure_style_is_the_canonical_one(path):
    """Chapters with figures set the book's figure style with the same cell, byte for byte."""
    cells = code_cells(load(path))
    if not any("image/png" in o.get("data", {}) for c in cells for o in c["outputs"]):
        pytest.skip("no figures")
    canonical = (ROOT / "tests" / "figure_style.py").read_text().strip()
    matches = [c for c in cells if source(c).strip() == canonical]
    assert len(matches) == 1, "copy tests/figure_style.py unchanged into one cell, before any figure"
    assert set(tags(matches[0])) & {"hide-input", "hide-cell"}, "collapse the figure style cell (hide-input)"


@by_stem
def test_plumbing_is_collapsed(path):
    """The Colab cell and the Redis helper are plumbing: collapsed on the site."""
    for i, cell in enumerate(code_cells(load(path)), 1):
        plumbing = "colab-setup" in tags(cell) or re.search(r"^def redis_node\(", source(cell), re.M)
        if plumbing:
            assert set(tags(cell)) & {"hide-input", "hide-cell"}, f"cell {i}: tag it hide-input or hide-cell"


@by_stem
def test_one_naming_scheme(path):
    """Sources are 'collection A/B' ('A #9'); exercises are named by their printed label."""
    nb = load(path)
    text = "\n".join(source(c) for c in nb["cells"]) + "\n" + "\n".join(
        ln for c in code_cells(nb) for ln in output_lines(c))
    old = sorted({m.group(0) for m in OLD_SOURCE_NAMES.finditer(text)})
    assert not old, f"old names for the sources: {old}; write 'collection A', 'A #9' (see the intro)"
    unlabelled = sorted(set(re.findall(r"\b[Ee]xercise \d+\b(?!\.\d)", text)))
    assert not unlabelled, f"{unlabelled}: refer to exercises by their printed label ('Exercise 6.1')"
    number = chapter_numbers().get(path.stem)
    exercises = len(re.findall(r"```\{exercise(?:-start)?\}", text))
    for chapter, k in re.findall(r"\bExercise (\d+)\.(\d+)\b", text):
        assert number and int(chapter) == number and 1 <= int(k) <= exercises, (
            f"'Exercise {chapter}.{k}' in chapter {number} with {exercises} exercises")


def test_security_lint():
    """ruff's security rules (flake8-bandit, configured in ruff.toml) pass on every notebook."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format",
                             "concise", "book", "tests", "tools", "conftest.py"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


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
    budget = CAPSTONE_BUDGET_SECONDS if path.stem == "capstone" else BUDGET_SECONDS
    assert (end - start).total_seconds() <= budget


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
    assert first.metadata.get("tags", []) == colab_cell.TAGS, (
        f"the first code cell must be the Colab setup cell: run `python tools/colab_cell.py {path.relative_to(ROOT)}`")
    assert first.source == colab_cell.setup_source(nb), (
        f"the Colab setup cell is out of date: run `python tools/colab_cell.py {path.relative_to(ROOT)}`")
    assert not first.outputs, "outside Colab the setup cell must do nothing"


def test_bibliography_is_written_in_unicode():
    """Accents are written in Unicode (Corbató), not as LaTeX escapes ({\\'o}), and titles
    carry no LaTeX commands (\\texttt{...}): the site prints them literally."""
    text = (BOOK / "references.bib").read_text(encoding="utf-8")
    escapes = sorted(set(re.findall(r"\\(?:['`^\"~=.]|[cvHuk]\{)\{?\w?|\\[a-z]+\{", text)))
    assert not escapes, f"LaTeX escapes or commands in references.bib: {escapes}"


def test_bibliography_links_have_usable_anchors():
    """A URL fragment that starts with a digit (#4.2-...) is not a valid CSS selector, and the
    theme's script throws on it when the bibliography page loads (the browser check saw it)."""
    text = (BOOK / "references.bib").read_text(encoding="utf-8")
    bad = re.findall(r"url\s*=\s*\{[^}]*#(\d[^}]*)\}", text)
    assert not bad, f"URL fragments starting with a digit: {bad}"
