"""Request and response shapes of the HTTP API, one module per area (nothing is re-exported here)."""
