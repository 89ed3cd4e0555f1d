"""The templates compiled to Python ahead of time (see ``qdbusgen.render._Loader``).

Every module but this one is written by ``scripts/regen_examples.py``; a module is used
only while its name (the template's key) matches the template, jinja and the options.
"""
