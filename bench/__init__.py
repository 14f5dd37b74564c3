"""Benchmark scripts (not tests): each prints ratios measured in one run and writes a markdown fragment."""
