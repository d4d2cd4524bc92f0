"""The release workflow's boundary: the values it hands out, the events it publishes, the
errors it raises and the ports it talks to. It imports neither Slack nor Kubernetes."""
