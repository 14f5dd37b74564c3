"""Homogeneous case groups (同质化类案): discovery, stable ids, reviewer edits and batch handling."""
