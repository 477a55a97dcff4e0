"""Local servers that speak the real protocols, bound to 127.0.0.1 (tests, benchmarks, demo)."""
