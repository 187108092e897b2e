"""What every report shares: the notebook's Report object, translations, masking, number formats, chart theme, exports."""
