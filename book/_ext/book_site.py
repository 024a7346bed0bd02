"""Small fixes to the built site that Jupyter Book 1.x has no setting for.

Loaded through `sphinx.local_extensions` in _config.yml; tests/test_site.py checks the result
in a browser.
"""
from __future__ import annotations

import collections
from urllib.parse import urlsplit

import pybtex.plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """sphinx-thebe registers its inline `const THEBE_JS_URL = ...` twice under Jupyter Book
    1.0.4, and the second copy throws "Identifier 'THEBE_JS_URL' has already been declared"
    on every page (sphinx-togglebutton's settings are doubled too). Keep the first of each
    script with the same source and attributes."""
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for script in scripts:
            key = (str(getattr(script, "filename", script) or ""),  # None and "" both: inline
                   tuple(sorted(getattr(script, "attributes", {}).items())))
            if key not in seen:
                seen.add(key)
                unique.append(script)
        scripts[:] = unique


def site_url_from_repository(app, config):
    """The published site's address, derived from the one repository URL in _config.yml
    (GitHub Pages serves github.com/OWNER/REPO at OWNER.github.io/REPO/)."""
    repository = config.html_theme_options.get("repository_url", "")
    parts = urlsplit(repository)
    if parts.netloc == "github.com" and not config.ogp_site_url:
        owner, repo = parts.path.strip("/").split("/")[:2]
        config.ogp_site_url = f"https://{owner.lower()}.github.io/{repo}/"


def _surname(person) -> str:
    """A person's surname, or an organisation's name, without BibTeX's protective braces."""
    return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")


def _authors(entry) -> list:
    return entry.persons.get("author") or entry.persons.get("editor") or []


class AuthorYearLabels(BaseLabelStyle):
    """Labels that read like the text's author-year citations: 'Karger et al., 1997',
    'Davidovič and Guliani, 2015', 'Redis, n.d.-a' (a, b, ... where two would be the same)."""

    def format_label(self, entry) -> str:
        names = [_surname(p) for p in _authors(entry)] or [entry.fields.get("title", entry.key)]
        who = names[0] if len(names) == 1 else (
            f"{names[0]} and {names[1]}" if len(names) == 2 else f"{names[0]} et al.")
        return f"{who}, {entry.fields.get('year', 'n.d.')}"

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        total, seen = collections.Counter(labels), collections.Counter()
        for label in labels:
            seen[label] += 1
            suffix = "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            yield label if total[label] == 1 else label + ("-" if label.endswith(".") else "") + suffix


class AuthorYearSorting(BaseSortingStyle):
    """By first author's surname (organisations by name, braces ignored), year, then title."""

    def sorting_key(self, entry):
        names = " ".join(_surname(p) for p in _authors(entry)) or entry.fields.get("title", "")
        return (names.casefold(), entry.fields.get("year", ""), entry.fields.get("title", "").casefold())


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "book-author-year"
    default_sorting_style = "book-author-year"


pybtex.plugin.register_plugin("pybtex.style.labels", "book-author-year", AuthorYearLabels)
pybtex.plugin.register_plugin("pybtex.style.sorting", "book-author-year", AuthorYearSorting)
pybtex.plugin.register_plugin("pybtex.style.formatting", "book-author-year", AuthorYearStyle)


def title_beside_logo(app, config):
    """Show the book's title (the one in _config.yml) beside the logo in the navigation bar."""
    config.html_theme_options.setdefault("logo", {}).setdefault("text", config.html_title)


def setup(app):
    app.connect("html-page-context", drop_duplicate_scripts, priority=100)  # before any handler
    # that returns a template name, which would end the event before this one runs
    app.connect("config-inited", site_url_from_repository, priority=400)
    app.connect("config-inited", title_beside_logo, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
