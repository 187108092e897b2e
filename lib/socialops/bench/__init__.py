"""The benchmark behind ``make bench``: each tool timed in a fresh process against the same data; figures to ``reports/bench.json``."""
