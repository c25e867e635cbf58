"""Prefect flows: the only package that imports Prefect."""
