"""The single source of the SDK's version (read by hatchling and by `gewe.__version__`)."""

__version__ = "0.5.0"
