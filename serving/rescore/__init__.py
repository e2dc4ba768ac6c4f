"""Rescoring with a new model: the stored listings (``stored``) and crawl archives (``archive``), on Ray Data.

The engine-agnostic parts (what is pending, scoring a page, writing it back, reading archive shards, writing
Parquet) import no engine, so they are tested without one; ``engine`` runs them on Ray Data, locally or on a
cluster (``RAY_ADDRESS``), and ``cli`` is ``python -m serving rescore``.
"""
