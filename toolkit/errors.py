"""Exceptions for work that cannot go on.

Bad data in a workbook is never an exception: it is a Problem. These classes
are for the few cases where nothing useful can be produced at all, and each
message is written for a coordinator to read and act on.
"""


class HandoffError(Exception):
    """Base class: a condition that stops a command, with a message for the user."""

    exit_code = 2


class WorkbookUnreadable(HandoffError):
    """The file is not a workbook the toolkit can read."""


class RequiredSheetMissing(HandoffError):
    """A required sheet is absent, so due items and documents cannot be worked out."""


class TemplateError(HandoffError):
    """A document template is missing or cannot be rendered."""


class OutputError(HandoffError):
    """An output file or folder cannot be written."""
