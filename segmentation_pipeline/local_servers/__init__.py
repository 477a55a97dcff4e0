"""Local servers that speak real protocols on 127.0.0.1, for tests, benchmarks and the demo."""
