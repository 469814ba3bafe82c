"""The version of connect-kit, in one place."""

__version__ = "0.1.0"
