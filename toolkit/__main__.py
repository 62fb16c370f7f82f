"""Run the command line as ``python -m toolkit``."""

from toolkit.start import launch

launch()
