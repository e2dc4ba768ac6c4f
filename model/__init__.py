"""Soi core library: the listing contract, text processing, features, scorers, artifacts and the Predictor.

Imports neither FastAPI nor an optimizer, so training and serving share exactly this code.
"""

# Soi's version, written only here: pyproject.toml reads it (dynamic version), the API reports it (serving.app).
__version__ = "0.2.0"
