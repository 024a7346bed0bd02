import matplotlib.pyplot as plt
from matplotlib_inline.backend_inline import set_matplotlib_formats

# The book's figure style. PNGs carry twice their display resolution ("retina"), so they stay
# sharp on high-density screens; the site shows a figure at most 7.8 inches (780 px) wide, so
# 12-point text is at least as large as the 16 px body text beside it. Stack panels vertically
# rather than putting more than two side by side.
set_matplotlib_formats("retina")
plt.rcParams.update({
    "figure.dpi": 100, "figure.figsize": (7.2, 4.0), "figure.constrained_layout.use": True,
    "font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 12,
    "xtick.labelsize": 12, "ytick.labelsize": 12, "axes.spines.top": False,
    "axes.spines.right": False, "lines.linewidth": 2,
})
