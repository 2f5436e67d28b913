"""Helpers for the randomuser_pipeline DAG: config, pure transforms, and thin I/O adapters."""
