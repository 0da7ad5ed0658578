"""Timings of the product's hot paths, each printed beside a floor measured in the same run.

Run with ``make bench``. Machines are shared and noisy, so a timing alone says little: each one
is printed with the time the database itself takes for the same rows through raw SQL, and the
ratio between them. Nothing here is part of the test suite.
"""
