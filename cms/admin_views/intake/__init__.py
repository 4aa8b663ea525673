"""HR intake screens: the review queue of resignation events, start rules,
bulk start, and the people pickers they share."""
