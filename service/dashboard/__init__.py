"""The built-in CCO dashboard: one static page that polls the v1 API with a key kept in sessionStorage."""
