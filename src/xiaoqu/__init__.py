"""Xiaoqu: renovating and governing old residential communities."""

__version__ = "0.1.0"
