"""Accord, an open-source CRM for small and medium companies and project organisations."""

__version__ = "0.1.0"
