"""One router per resource; handlers are named verb_noun."""
