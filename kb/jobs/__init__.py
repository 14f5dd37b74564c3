"""Background jobs: long work (group discovery, reindex, large imports, reports) run off the request."""
