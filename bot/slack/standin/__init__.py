"""Slack, played locally: the Web API the bot calls (``webapi``), the requests Slack sends
to the bot (``requests``) and the Block Kit checks Slack applies (``blockkit``).

Used by ``releasebot demo`` and by the tests; nothing here runs in ``releasebot serve``.
"""
