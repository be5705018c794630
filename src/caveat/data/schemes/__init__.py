"""Classification schemes as sourced, dated package data (one JSON file per scheme)."""
