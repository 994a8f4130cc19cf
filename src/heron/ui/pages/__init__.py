"""Page groups of the web UI: each module registers its routes on the UI router."""
