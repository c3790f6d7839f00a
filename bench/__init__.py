"""`python -m bench`: the bot's speed and memory at scale, measured against the fakes on 127.0.0.1."""
