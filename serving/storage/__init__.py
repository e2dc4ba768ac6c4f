"""Storage: SQLAlchemy tables, the database handle, repository functions and Alembic migrations."""
