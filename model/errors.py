"""Domain exceptions of the core library; serving translates them to HTTP statuses in one place."""


class SoiError(Exception):
    """Base class of every error Soi raises on purpose."""


class LabelError(SoiError, ValueError):
    """A label is not in the label set the model or dataset uses."""


class DataError(SoiError, ValueError):
    """Input data (a dataset file or a listing) does not have the expected shape."""


class ArtifactError(SoiError):
    """A model artifact folder is missing, incomplete or of an unknown format."""


def shorten(value: object, limit: int = 40) -> str:
    """``repr`` of a value found in input, cut to ``limit`` characters: messages quote input, boundedly."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


class CatalogueError(DataError):
    """A product catalogue file or entry does not follow the catalogue schema (model/market/catalogue.py)."""
