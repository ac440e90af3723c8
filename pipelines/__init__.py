"""Pure analytics core: support transcripts in, graded expectations personas out (no web, no database)."""
