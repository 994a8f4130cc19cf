"""heron command line."""
