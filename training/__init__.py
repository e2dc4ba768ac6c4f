"""Soi training: dataset loading, training, calibration, evaluation and the command line (``python -m training``)."""
