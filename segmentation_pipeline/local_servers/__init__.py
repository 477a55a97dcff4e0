"""Local servers on 127.0.0.1 that speak the real protocols, for tests, benchmarks, demo."""
