"""kg: turn PaperWeekly PaperDaily posts into a knowledge graph you can query."""

__version__ = "0.1.0"
