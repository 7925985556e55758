"""One folder per CRM (and one for CSV exports), the same module names in each; the
registry of them is `connector.crms.registry`."""
