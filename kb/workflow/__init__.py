"""Petition workflow: routing, dual assignment, repeats, 诉访分离, leader packages, supervision reports."""
