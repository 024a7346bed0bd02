"""The built site, checked in a real browser (Debian's Chromium driven by Playwright).

Run after the strict build:

    jupyter-book build . -n -W --keep-going
    python -m pytest tests/test_site.py --site=_build/html

Without --site these tests are skipped (the README's test command runs before any build).
They fail when a page throws a JavaScript error, when the navigation cannot be opened at phone
or tablet width, when a figure has no real alt text, when a Markdown table is shown as raw
text, or when an internal link or anchor leads nowhere. `CHROMIUM` names the browser binary
(default: /usr/bin/chromium); Playwright's own browser downloads are not used.
"""
from __future__ import annotations

import functools
import html.parser
import http.server
import os
import pathlib
import re
import threading
import urllib.parse

import pytest

PHONE, TABLET, DESKTOP = 390, 800, 1400
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Two cells of a Markdown table's delimiter row (the site's typography turns '---' into a dash).
MARKDOWN_TABLE = re.compile(r"\|\s*:?(-{3,}|[\u2013\u2014]+):?\s*\|\s*:?(-{3,}|[\u2013\u2014]+)")
HASHED_NAME = re.compile(r"^[0-9a-f]{16,}\.(png|svg|jpe?g)$")


def pages(site: pathlib.Path) -> list[str]:
    """Every HTML page of the book, as paths relative to the site root."""
    skip = {"genindex.html", "search.html", "index.html"}  # index.html only redirects to the intro
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts and p.name not in skip)


@pytest.fixture(scope="session")
def site(request) -> pathlib.Path:
    option = request.config.getoption("--site")
    if not option:
        pytest.skip("the built site is checked with --site=_build/html (after the strict build)")
    path = pathlib.Path(option).resolve()
    assert (path / "index.html").exists(), f"no built site at {path}: run the strict build first"
    return path


@pytest.fixture(scope="session")
def base_url(site):
    """Serve the site on a free loopback port, as a static host would."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output to the failures
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a browser closing a connection early
        pass


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    assert pathlib.Path(executable).exists(), (
        f"no Chromium at {executable}: apt-get install chromium, or set CHROMIUM")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, timeout=60_000)
        yield chromium
        chromium.close()


def open_page(browser, url: str, width: int):
    """A fresh page at the given viewport width that records JavaScript errors."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and "net::ERR_FAILED" not in msg.text
            and page.js_errors.append(msg.text))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(200)
    return page


# --- per page: JavaScript errors, figures, tables ------------------------------------------

def findings(site, base_url, browser, width: int, inspect) -> list[str]:
    """Open every page at the given width; `inspect(page)` lists what is wrong on it."""
    found = []
    for name in pages(site):
        page = open_page(browser, base_url + name, width)
        found += [f"{name}: {problem}" for problem in inspect(page)]
        page.context.close()
    return found


def test_no_javascript_errors(site, base_url, browser):
    errors = findings(site, base_url, browser, DESKTOP, lambda page: page.js_errors)
    assert not errors, "JavaScript errors:\n" + "\n".join(errors)


def images_without_alt(page) -> list[str]:
    missing = []
    for image in page.locator("article img").all():
        alt = (image.get_attribute("alt") or "").strip()
        source = pathlib.PurePosixPath(image.get_attribute("src") or "").name
        if not alt or HASHED_NAME.match(pathlib.PurePosixPath(alt).name) or alt.endswith(source):
            missing.append(f"{source} (alt={alt!r})")
    return missing


def test_every_figure_has_alt_text(site, base_url, browser):
    missing = findings(site, base_url, browser, DESKTOP, images_without_alt)
    assert not missing, "figures without a real alt text:\n" + "\n".join(missing)


def raw_markdown_tables(page) -> list[str]:
    texts = page.locator("article p, article .cell_output").all_inner_texts()
    return [repr(m.group(0)[:80]) for m in MARKDOWN_TABLE.finditer("\n".join(texts))][:1]


def test_no_markdown_table_shown_as_text(site, base_url, browser):
    raw = findings(site, base_url, browser, DESKTOP, raw_markdown_tables)
    assert not raw, "Markdown tables rendered as text:\n" + "\n".join(raw)


SQUASHED_IMAGES = """() =>
    [...document.querySelectorAll('article img')]
      .filter(i => i.naturalWidth && i.getBoundingClientRect().width)
      .map(i => [i.src.split('/').pop().slice(0, 12), i.getBoundingClientRect(),
                 i.naturalWidth / i.naturalHeight])
      .filter(([, r, ratio]) => Math.abs(r.width / r.height - ratio) > 0.02 * ratio)
      .map(([src, r, ratio]) => `${src}: ${Math.round(r.width)}x${Math.round(r.height)}`
                                + ` shown, ${ratio.toFixed(2)} wide per tall`)"""


def test_figures_keep_their_shape_on_a_phone(site, base_url, browser):
    """A figure shrunk to a phone's width keeps its aspect ratio (not squashed sideways)."""
    squashed = findings(site, base_url, browser, PHONE, lambda page: page.evaluate(SQUASHED_IMAGES))
    assert not squashed, "figures distorted at phone width:\n" + "\n".join(squashed[:20])


SCROLLING_BLOCKS = """() =>
    [...document.querySelectorAll('article pre')]
      .filter(p => p.scrollWidth > p.clientWidth + 1)
      .map(p => p.innerText.split('\\n').reduce((a, b) => a.length > b.length ? a : b))
      .map(line => line.slice(0, 70))"""


def test_code_fits_the_column_on_a_desktop(site, base_url, browser):
    """Code and output lines are at most 100 characters; at desktop width none scrolls."""
    wide = findings(site, base_url, browser, DESKTOP, lambda page: page.evaluate(SCROLLING_BLOCKS))
    assert not wide, f"{len(wide)} blocks scroll sideways at {DESKTOP} px:\n" + "\n".join(wide[:20])


# --- navigation at phone and tablet width ---------------------------------------------------

@pytest.mark.parametrize("width", [PHONE, TABLET], ids=["phone", "tablet"])
def test_navigation_opens(site, base_url, browser, width):
    """The visible menu button opens the book's table of contents as a drawer."""
    page = open_page(browser, base_url + "book/intro.html", width)
    assert not page.locator("#pst-primary-sidebar a.reference.internal").first.is_visible(), (
        "the table of contents should start hidden at this width")
    toggles = [b for b in page.locator("button.primary-toggle").all() if b.is_visible()]
    assert toggles, "no visible button to open the navigation"
    toggles[0].click()
    page.wait_for_timeout(400)
    drawer_links = page.locator("#pst-primary-sidebar-modal a.reference.internal, "
                                "#pst-primary-sidebar a.reference.internal")
    visible = [a.inner_text() for a in drawer_links.all() if a.is_visible()]
    page.context.close()
    assert len(visible) >= 5, f"the menu button did not open the navigation (visible links: {visible})"


def test_page_contents_open_on_phone(site, base_url, browser):
    """On a chapter, the 'On this page' button opens the section list."""
    page = open_page(browser, base_url + "book/consistent-hashing.html", PHONE)
    toggles = [b for b in page.locator("button.secondary-toggle").all() if b.is_visible()]
    assert toggles, "no visible button for the page's contents"
    toggles[0].click()
    page.wait_for_timeout(400)
    links = page.locator("#pst-secondary-sidebar-modal a, #pst-secondary-sidebar a")
    visible = [a for a in links.all() if a.is_visible()]
    page.context.close()
    assert len(visible) >= 5, "the contents button did not open the section list"


# --- links and anchors (read from the HTML files themselves) --------------------------------

class Anchors(html.parser.HTMLParser):
    """Collects the ids a page defines and the links it makes."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for key in ("id", "name"):
            if attributes.get(key):
                self.ids.add(attributes[key])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


@functools.lru_cache(maxsize=None)
def parsed(path: pathlib.Path) -> Anchors:
    parser = Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_internal_links_and_anchors_resolve(site):
    broken = []
    for name in pages(site):
        page_path = site / name
        for href in parsed(page_path).links:
            parts = urllib.parse.urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page_path.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page_path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{name}: {href} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                if urllib.parse.unquote(parts.fragment) not in parsed(target).ids:
                    broken.append(f"{name}: {href} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(set(broken)))


# --- what a reader notices in the first minute ---------------------------------------------

def test_every_page_has_icon_description_and_preview(site):
    missing = []
    for name in pages(site):
        text = (site / name).read_text(encoding="utf-8")
        for what, pattern in [("favicon", r'<link rel="icon"'), ("description", r'<meta name="description"'),
                              ("preview image", r'<meta property="og:image"'), ("logo", r'class="logo__image')]:
            if not re.search(pattern, text):
                missing.append(f"{name}: no {what}")
    assert not missing, "\n".join(missing)


def test_site_title_matches_the_introduction(site):
    intro = (site / "book" / "intro.html").read_text(encoding="utf-8")
    [h1] = re.findall(r"<h1>(.*?)<a class=\"headerlink\"", intro)
    titles = [re.search(r"<title>.*?&#8212; (.*?)</title>", intro).group(1),
              re.search(r'<p class="title logo__title">(.*?)</p>', intro).group(1)]
    for title in titles:
        assert html.unescape(h1.strip()) == html.unescape(title.strip()), (
            f"intro H1 {h1!r} differs from the site title {title!r}")
    footer = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", intro.split('class="bd-footer-content', 1)[-1]))
    assert "By The " not in footer, "the footer reads 'By The ...'"


def test_bibliography_labels_read_like_the_citations(site):
    text = (site / "book" / "bibliography.html").read_text(encoding="utf-8")
    labels = [html.unescape(x) for x in re.findall(
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">\]', text)]
    assert labels, "no bibliography entries found"
    bad = [x for x in labels if not re.search(r", (\d{4}[a-z]?|n\.d\.(-[a-z])?)$", x) or re.search(r"[{}\\]", x)]
    assert not bad, f"labels that are not 'Author, year': {bad}"
    surnames = [x.split(",")[0].replace(" and ", " ").replace(" et al.", "").casefold() for x in labels]
    assert surnames == sorted(surnames), "the bibliography is not sorted by author"
