"""socialops: data-driven playbook for enterprise social media operations."""
__version__ = "0.1.0"
