"""Raw texts, per-source manifests, cleaning and structure. Knows nothing of retrieval or bots.

`content.store` is the interface (build, load_built, ContentError); `content.onboard` adds and
removes documents (`zhewen content add/remove`); see content/README.md for the manifest format.
"""
