"""Soi serving: the FastAPI app (``create_app``) and the command line (``python -m serving``)."""
