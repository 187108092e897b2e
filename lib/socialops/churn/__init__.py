"""Chapter 04, churn: customer summaries, survival by segment, churn drivers, purchase models, win-back."""
