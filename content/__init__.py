"""Raw texts, per-source manifests, cleaning and structure. Knows nothing of retrieval or bots.

`content.store` is the interface (build, load_built, ContentError); see content/README.md for the
manifest format and how a new document is added.
"""
