"""Shared parts of the scrambling reproductions: the paper and repository cited, the figure style.

Tables go through ``rnnchaos._util.tables.write_table`` (non-finite numbers as strings, CSV lines ending
in CR LF, as these reproductions always wrote them) and figures are built as
``matplotlib.figure.Figure`` objects in ``rnnchaos._util.figures.SMALL_STYLE`` (inside an rc_context, never
changing global rcParams) and saved through ``rnnchaos._util.figures.save_figure`` at ``FIGURE_DPI``.
"""

from __future__ import annotations

PAPER = ("Chatziafratis, Panageas, Sanford & Stavroulakis, 'On Scrambling Phenomena for Randomly Initialized "
         "Recurrent Networks', NeurIPS 2022")
REPO = "github.com/steliostavroulakis/Chaos_RNNs"
#: resolution of the scrambling figures (dots per inch)
FIGURE_DPI = 130

