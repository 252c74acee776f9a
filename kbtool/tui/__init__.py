"""The Textual app: editors, reviewers and agents in one keyboard-first terminal UI.

Screens call the core and the services; slow work runs in thread workers that post the
messages of ``messages.py``; handlers own the state. Nothing here is imported by the core.
"""
