"""Cases: ingest, validation, CRUD, search, reindex and health over the kernel (``CaseService``)."""
