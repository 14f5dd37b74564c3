"""Measured quality: `leian eval` tasks on JSON Lines datasets, with BM25/dense/hybrid side by side."""
