"""Delivery layer: the FastAPI app, request/response schemas, web pages and the `leian` CLI."""
