"""Benchmarks: `python -m ml.bench lifter ...` and `python -m ml.bench pipeline ...`."""
