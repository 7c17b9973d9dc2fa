"""Raw texts, per-source manifests, cleaning and structure. Knows nothing of retrieval or bots."""
