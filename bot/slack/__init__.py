"""The Slack surface: Block Kit builders, the texts people read, the presenter that turns
workflow events into messages, the user-group directory and the App Home view."""
