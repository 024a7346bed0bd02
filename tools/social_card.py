"""Draw the link-preview image (book/_static/social-card.png, 1200 x 630 px) that chat apps and
social sites show for a link to the book (sphinxext-opengraph's og:image).

Usage:  python tools/social_card.py   (re-run after changing the title in _config.yml)
"""
from __future__ import annotations

import math
import pathlib
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAVY, TEAL, RED, GOLD = "#1d3557", "#a8dadc", "#e63946", "#f1c453"


def main() -> None:
    title = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
    fig = plt.figure(figsize=(12, 6.3), dpi=100, facecolor=NAVY)
    ax = fig.add_axes((0, 0, 1, 1), xlim=(0, 12), ylim=(0, 6.3), aspect="equal")
    ax.axis("off")
    cx, cy, r = 2.3, 3.15, 1.3  # the logo: a ring of three nodes, one of them checked
    ax.add_patch(plt.Circle((cx, cy), r, fill=False, color=TEAL, lw=10))
    for angle, color in ((90, RED), (-30, GOLD), (210, TEAL)):
        a = math.radians(angle)
        ax.add_patch(plt.Circle((cx + r * math.cos(a), cy + r * math.sin(a)), 0.42, color=color))
    ax.plot([cx - 0.55, cx - 0.1, cx + 0.65], [cy, cy - 0.45, cy + 0.4], color="white", lw=12,
            solid_capstyle="round", solid_joinstyle="round")
    ax.text(4.4, 3.6, "\n".join(textwrap.wrap(title, 24)), color="white", fontsize=36,
            fontweight="bold", va="center", linespacing=1.25)
    ax.text(4.4, 1.2, "An executable book: every claim re-run in CI", color=TEAL,
            fontsize=22, va="center")
    out = ROOT / "book" / "_static" / "social-card.png"
    fig.savefig(out, facecolor=NAVY, metadata={"Software": None})
    print(out.relative_to(ROOT))


if __name__ == "__main__":
    main()
