"""Relevance marks on search hits and model-case guidance (issue 19, item 7)."""
