"""Chapter 01, platform matrix: platform metrics and scores, posting cadence, best times, content mix."""
