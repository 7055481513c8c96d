"""Base exception types shared by every package.

Each package raises subclasses with a message that names the offending input;
the CLI turns any FixEngineError into one line on stderr and exit code 2.
"""


class FixEngineError(Exception):
    """Base class for all errors the engine reports to a user."""


class UserInputError(FixEngineError, ValueError):
    """Bad input from a user or a peer: the message says what and where."""
