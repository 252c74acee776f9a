"""The domain core: plain Python, no Textual, no CLI, no I/O beyond what it is handed."""
