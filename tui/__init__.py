"""The faces of runout: the ``runout`` command line and the Textual app."""
