"""The database: models, session factory, migrations (Alembic, inside this package) and named queries."""
