"""Texts and arrays only: segmentation, encoders, vector indexes, lexical scoring, clustering."""
