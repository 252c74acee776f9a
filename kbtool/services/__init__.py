"""Services that sit on the core: file loading, packs on disk, the store, search."""
