"""The Salesforce surface of the sandbox: REST, SOQL, sObject Collections, Bulk API 2.0,
Tooling, Reports and Dashboards and OAuth 2.0, over the same org as every surface."""
