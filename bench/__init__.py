"""Benchmarks (issue 2 §16); results are written under bench-results/."""
