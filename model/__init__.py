"""Soi core library: the listing contract, text processing, features, scorers, artifacts and the Predictor.

Imports neither FastAPI nor an optimizer, so training and serving share exactly this code.
"""
