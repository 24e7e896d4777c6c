"""Benchmarks for claude_magic: ``python benchmarks/stream_cost.py --help``."""
