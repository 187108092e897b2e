"""Estimators that know no chapter: time windows, RFM scores, survival, BG/NBD, CLV, anomalies, counterfactuals, text."""
