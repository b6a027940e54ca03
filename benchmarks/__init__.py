"""trtconv's benchmarks: `python -m benchmarks --help`. Results go to benchmarks/results/."""
