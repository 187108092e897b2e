"""Running chapters: parameters, checks before any kernel starts, the runner and the publishing of report files."""
