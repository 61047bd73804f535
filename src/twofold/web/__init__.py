"""Hosted pages: sign-in, MFA, account security (server-rendered Jinja2, no build step)."""
