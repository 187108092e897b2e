"""Chapter 02, lifecycle: stages, transitions, funnel, RFM tiers, cohort retention, sharing and K-factor."""
