"""Sources: read a CRM (or its exports) into the normalized store."""
