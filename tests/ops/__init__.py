"""Tests of running crm-kpi as a service."""
