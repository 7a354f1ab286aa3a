"""Hand-written refinements of generated resource classes, one module per API module.

Only operations where a richer result adds real value live here; every other operation is the
generated method as is. Each class subclasses its generated twin, so the generated signatures
stay the source of truth and mypy flags any drift after a regeneration.
"""
