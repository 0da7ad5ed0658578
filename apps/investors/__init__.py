"""Investors, their beneficial owners and bank details, and their KYC lifecycle."""
