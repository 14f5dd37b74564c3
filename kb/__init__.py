"""The petition domain: records, storage (SQLite, the source of truth), the service and settings."""
