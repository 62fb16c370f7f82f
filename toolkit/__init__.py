"""Handoff toolkit: checks facility workbooks and writes the weekly pack."""

__version__ = "0.1.0"
