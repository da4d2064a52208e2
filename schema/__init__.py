"""The kg ontology and SHACL shapes (Turtle), installed as the package ``kg.schema``."""
