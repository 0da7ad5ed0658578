"""Deals and the financial operations on them: subscriptions, closings, calls, distributions."""
