"""Shared, Prefect-free building blocks: settings, typed records, errors and URL builders."""
