"""Domain exceptions of the core library; serving translates them to HTTP statuses in one place."""


class SoiError(Exception):
    """Base class of every error Soi raises on purpose."""


class LabelError(SoiError, ValueError):
    """A label is not in the label set the model or dataset uses."""


class DataError(SoiError, ValueError):
    """Input data (a dataset file or a listing) does not have the expected shape."""


class ArtifactError(SoiError):
    """A model artifact folder is missing, incomplete or of an unknown format."""
