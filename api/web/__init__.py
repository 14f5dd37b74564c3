"""The web workbench: HTML pages, templates and static assets served by the API app."""
