"""The staff to-do workbench (``todo``) and the resident's feed (``feed``)."""
