"""Domain exceptions of training."""

from model.errors import SoiError


class ConfigError(SoiError, ValueError):
    """A training config file does not match the expected shape."""
